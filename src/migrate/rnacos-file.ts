/**
 * rnacos's transfer file (`.data`, "middle file"): what its console exports and imports and its
 * `data-to-sqlite` / `mysql-to-data` commands read and write. Layout: an 8-byte prefix (u32 magic
 * 0x6e61636f, u32 format version 0, big-endian), then protobuf messages each preceded by its varint
 * length: one TransferHeader {version, modify_time, from_sys, table_name_map_entities {id, name},
 * extend (JSON)}, then TransferItem {table_name, table_id, key, value} records to the end. A record
 * names its table directly (table_id 0) or by an id from the header's map.
 */
import { delimited, PbMessage, PbReader, PbWriter } from "../lib/protobuf.ts";

export const TRANSFER_MAGIC = 0x6e61636f;

export interface TransferRecord {
  table: string;
  key: Uint8Array;
  value: Uint8Array;
}

export interface TransferFile {
  version: number;
  /** ms since the epoch */
  modifyTime: number;
  fromSys: string;
  records: TransferRecord[];
}

export class TransferFileError extends Error {
  override name = "TransferFileError";
}

export function isTransferFile(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 8 && new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(0) === TRANSFER_MAGIC;
}

export function decodeTransferFile(bytes: Uint8Array, maxRecords: number): TransferFile {
  if (!isTransferFile(bytes)) throw new TransferFileError("not an rnacos transfer file (it does not start with the magic 0x6e61636f)");
  const fmt = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4);
  if (fmt !== 0) throw new TransferFileError(`rnacos transfer file format version ${fmt} is not supported (only 0)`);
  const r = new PbReader(bytes, 8);
  const next = (what: string): Uint8Array => {
    const at = r.offset;
    try {
      return r.bytes(Number(r.varint()));
    } catch (e) {
      throw new TransferFileError(`${what} at byte ${at}: ${(e as Error).message} (the file is cut short or damaged)`);
    }
  };
  if (r.done()) throw new TransferFileError("rnacos transfer file has no header");
  const h = PbMessage.decode(next("header"), "transfer header");
  const ids = new Map<number, string>();
  for (const e of h.messages(4, "table name map entry")) ids.set(e.num(1), e.str(2));
  const records: TransferRecord[] = [];
  while (!r.done()) {
    if (records.length >= maxRecords) throw new TransferFileError(`rnacos transfer file holds more than ${maxRecords} records`);
    const item = PbMessage.decode(next(`record ${records.length + 1}`), `record ${records.length + 1}`);
    const id = item.num(2);
    records.push({ table: id === 0 ? item.str(1) : (ids.get(id) ?? ""), key: item.bytes(3), value: item.bytes(4) });
  }
  return { version: h.num(1), modifyTime: h.num(2), fromSys: h.str(3), records };
}

/** Writes records naming their tables directly, with the header's map listing them too (as rnacos does). */
export function encodeTransferFile(f: TransferFile): Uint8Array {
  const tables = [...new Set(f.records.map((x) => x.table))];
  const header = new PbWriter().num(1, f.version).num(2, f.modifyTime).str(3, f.fromSys);
  tables.forEach((name, i) => header.message(4, new PbWriter().num(1, i + 1).str(2, name)));
  header.str(5, "{}");
  const parts = [delimited(header.finish())];
  for (const x of f.records) parts.push(delimited(new PbWriter().str(1, x.table).bytes(3, x.key).bytes(4, x.value).finish()));
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setUint32(0, TRANSFER_MAGIC);
  const out = new Uint8Array(8 + parts.reduce((n, p) => n + p.byteLength, 0));
  out.set(prefix, 0);
  let o = 8;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
