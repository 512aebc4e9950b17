/**
 * The Nacos Payload codec. On the wire: Payload{metadata{type, clientIp, headers}, body: Any{type_url:"",
 * value: UTF-8 JSON}}. Receivers key on `metadata.type` (the Java simple class name) and read only
 * `body.value`. Output JSON is Jackson-like (NON_NULL): null and undefined fields are left out.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { MetadataSchema, PayloadSchema } from "../../gen/nacos_grpc_service_pb.ts";

export type Json = Record<string, unknown>;

export interface NacosMessage {
  type: string;
  clientIp: string;
  /** metadata.headers: the request headers (the body's own `headers` field is ignored, as Nacos does). */
  headers: Record<string, string>;
  body: Json;
}

export class PayloadError extends Error {
  override name = "PayloadError";
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/** Throws PayloadError for bytes that are not a Payload or a body that is not a JSON object. */
export function decodePayload(bytes: Uint8Array): NacosMessage {
  let p;
  try {
    p = fromBinary(PayloadSchema, bytes);
  } catch (e) {
    throw new PayloadError(`malformed Payload protobuf: ${(e as Error).message}`);
  }
  const type = p.metadata?.type ?? "";
  const value = p.body?.value ?? new Uint8Array(0);
  let body: unknown = {};
  if (value.byteLength > 0) {
    try {
      body = JSON.parse(utf8.decode(value));
    } catch (e) {
      throw new PayloadError(`body of ${type || "<no type>"} is not UTF-8 JSON: ${(e as Error).message}`);
    }
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new PayloadError(`body of ${type || "<no type>"} is not a JSON object`);
  }
  return { type, clientIp: p.metadata?.clientIp ?? "", headers: { ...(p.metadata?.headers ?? {}) }, body: body as Json };
}

const dropNulls = (_k: string, v: unknown) => (v === null ? undefined : v);

export function encodePayload(type: string, body: Json, clientIp = "", headers: Record<string, string> = {}): Uint8Array {
  const json = JSON.stringify(body, dropNulls);
  return toBinary(
    PayloadSchema,
    create(PayloadSchema, {
      metadata: create(MetadataSchema, { type, clientIp, headers }),
      body: create(AnySchema, { typeUrl: "", value: utf8Encoder.encode(json) }),
    }),
  );
}
