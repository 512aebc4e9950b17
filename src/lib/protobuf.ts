/**
 * The protobuf wire format, as far as hand-written messages need it (rnacos's transfer file): varints,
 * length-delimited fields, fixed32/fixed64 skipped or read. Readers throw on truncated or malformed
 * input; unknown fields are skipped, as protobuf requires.
 */
export class ProtobufError extends Error {
  override name = "ProtobufError";
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

export type FieldValue = { wire: 0; n: bigint } | { wire: 2; bytes: Uint8Array } | { wire: 5; bytes: Uint8Array } | { wire: 1; bytes: Uint8Array };

export class PbReader {
  private o: number;
  private readonly end: number;
  private readonly buf: Uint8Array;
  constructor(buf: Uint8Array, start = 0, end = buf.byteLength) {
    this.buf = buf;
    this.o = start;
    this.end = end;
  }

  get offset(): number {
    return this.o;
  }

  done(): boolean {
    return this.o >= this.end;
  }

  varint(): bigint {
    let r = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.o >= this.end) throw new ProtobufError("varint cut short");
      const b = this.buf[this.o++];
      r |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return r & 0xffffffffffffffffn;
    }
    throw new ProtobufError("varint longer than 10 bytes");
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.o + n > this.end) throw new ProtobufError(`field of ${n} bytes runs past the end of its message`);
    const out = this.buf.subarray(this.o, this.o + n);
    this.o += n;
    return out;
  }

  /** The next field, or undefined at the end. */
  field(): { no: number; value: FieldValue } | undefined {
    if (this.done()) return undefined;
    const tag = Number(this.varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 0) throw new ProtobufError("field number 0");
    switch (wire) {
      case 0:
        return { no, value: { wire: 0, n: this.varint() } };
      case 1:
        return { no, value: { wire: 1, bytes: this.bytes(8) } };
      case 2:
        return { no, value: { wire: 2, bytes: this.bytes(Number(this.varint())) } };
      case 5:
        return { no, value: { wire: 5, bytes: this.bytes(4) } };
      default:
        throw new ProtobufError(`unsupported wire type ${wire} (field ${no})`);
    }
  }
}

/** Every field of one message, by number (repeated fields keep their order). */
export function readMessage(buf: Uint8Array): Map<number, FieldValue[]> {
  const out = new Map<number, FieldValue[]>();
  const r = new PbReader(buf);
  for (let f = r.field(); f; f = r.field()) {
    const list = out.get(f.no);
    if (list) list.push(f.value);
    else out.set(f.no, [f.value]);
  }
  return out;
}

/** Typed access to a decoded message; a field of the wrong wire type is an error naming it. */
export class PbMessage {
  private readonly fields: Map<number, FieldValue[]>;
  private readonly what: string;
  constructor(fields: Map<number, FieldValue[]>, what: string) {
    this.fields = fields;
    this.what = what;
  }

  static decode(buf: Uint8Array, what: string): PbMessage {
    try {
      return new PbMessage(readMessage(buf), what);
    } catch (e) {
      throw new ProtobufError(`${what}: ${(e as Error).message}`);
    }
  }

  private all(no: number, wire: number): FieldValue[] {
    const l = this.fields.get(no) ?? [];
    for (const v of l) if (v.wire !== wire) throw new ProtobufError(`${this.what}: field ${no} has wire type ${v.wire}, expected ${wire}`);
    return l;
  }

  has(no: number): boolean {
    return this.fields.has(no);
  }

  num(no: number): number {
    const l = this.all(no, 0);
    return l.length === 0 ? 0 : Number(BigInt.asIntN(64, (l[l.length - 1] as { n: bigint }).n));
  }

  bool(no: number): boolean {
    return this.num(no) !== 0;
  }

  bytes(no: number): Uint8Array {
    const l = this.all(no, 2);
    return l.length === 0 ? new Uint8Array(0) : (l[l.length - 1] as { bytes: Uint8Array }).bytes;
  }

  str(no: number): string {
    return this.text(this.bytes(no), no);
  }

  strs(no: number): string[] {
    return this.all(no, 2).map((v) => this.text((v as { bytes: Uint8Array }).bytes, no));
  }

  messages(no: number, what: string): PbMessage[] {
    return this.all(no, 2).map((v) => PbMessage.decode((v as { bytes: Uint8Array }).bytes, what));
  }

  float(no: number): number {
    const l = this.all(no, 5);
    if (l.length === 0) return 0;
    const b = (l[l.length - 1] as { bytes: Uint8Array }).bytes;
    return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
  }

  private text(b: Uint8Array, no: number): string {
    try {
      return dec.decode(b);
    } catch {
      throw new ProtobufError(`${this.what}: field ${no} is not UTF-8 text`);
    }
  }
}

export class PbWriter {
  private parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.byteLength;
  }

  rawVarint(v: bigint | number): this {
    let n = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (n > 0x7fn) {
      out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    out.push(Number(n));
    this.push(Uint8Array.from(out));
    return this;
  }

  /** Proto3: a zero/empty scalar is not written. */
  num(no: number, v: number | bigint): this {
    if (BigInt(v) === 0n) return this;
    return this.rawVarint((no << 3) | 0).rawVarint(v);
  }

  bool(no: number, v: boolean): this {
    return v ? this.num(no, 1) : this;
  }

  bytes(no: number, b: Uint8Array, always = false): this {
    if (b.byteLength === 0 && !always) return this;
    this.rawVarint((no << 3) | 2).rawVarint(b.byteLength);
    this.push(b);
    return this;
  }

  str(no: number, s: string, always = false): this {
    return this.bytes(no, enc.encode(s), always);
  }

  float(no: number, v: number): this {
    if (v === 0) return this;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.rawVarint((no << 3) | 5);
    this.push(b);
    return this;
  }

  message(no: number, m: PbWriter): this {
    return this.bytes(no, m.finish(), true);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.byteLength;
    }
    return out;
  }
}

/** A message with its varint length before it (protobuf's "delimited" form). */
export function delimited(msg: Uint8Array): Uint8Array {
  const head = new PbWriter().rawVarint(msg.byteLength).finish();
  const out = new Uint8Array(head.byteLength + msg.byteLength);
  out.set(head, 0);
  out.set(msg, head.byteLength);
  return out;
}
