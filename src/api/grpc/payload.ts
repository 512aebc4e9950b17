/**
 * The Nacos Payload codec. On the wire: Payload{metadata{type, clientIp, headers}, body: Any{type_url:"",
 * value: UTF-8 JSON}}. Receivers key on `metadata.type` (the Java simple class name) and read only
 * `body.value`. Output JSON is Jackson-like (NON_NULL): null and undefined fields are left out.
 */
import { decodeRawPayload, encodeRawPayload, ProtobufError } from "./payload-codec.ts";

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

/** Throws PayloadError for bytes that are not a Payload or a body that is not a JSON object. */
export function decodePayload(bytes: Uint8Array): NacosMessage {
  let p;
  try {
    p = decodeRawPayload(bytes);
  } catch (e) {
    throw new PayloadError(`malformed Payload protobuf: ${(e as ProtobufError).message}`);
  }
  let body: unknown = {};
  if (p.value.byteLength > 0) {
    try {
      body = JSON.parse(utf8.decode(p.value));
    } catch (e) {
      throw new PayloadError(`body of ${p.type || "<no type>"} is not UTF-8 JSON: ${(e as Error).message}`);
    }
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new PayloadError(`body of ${p.type || "<no type>"} is not a JSON object`);
  }
  return { type: p.type, clientIp: p.clientIp, headers: p.headers, body: body as Json };
}

const dropNulls = (_k: string, v: unknown) => (v === null ? undefined : v);

/** JSON without nulls. A replacer forces V8's slow stringify path, so it runs only when a null is there. */
export function toNacosJson(body: Json): string {
  const fast = JSON.stringify(body);
  return fast.includes("null") ? JSON.stringify(body, dropNulls) : fast;
}

export function encodePayload(type: string, body: Json, clientIp = "", headers: Record<string, string> = {}): Uint8Array {
  return encodeRawPayload(type, toNacosJson(body), clientIp, headers, false);
}

const encoder = new TextEncoder();

/** Each shared push body's JSON after its opening brace, encoded once: `,"a":1}` (or `}` for `{}`). */
const pushTails = new WeakMap<Json, Uint8Array>();

/**
 * Each shared push body's whole frame, per type, client IP and requestId length, with the requestId's
 * characters left to fill in: a push then costs one copy of the template. Push code runs seldom, so it
 * runs cold (JSC's interpreter), where the six encodes and allocations of a full frame cost 20-50 µs
 * per subscriber, a third of a 1,000-subscriber round.
 */
const pushTemplates = new WeakMap<Json, Map<string, { frame: Uint8Array; at: number }>>();
/** Shapes kept per body (types × client IPs × requestId lengths): a handful in practice. */
const MAX_TEMPLATES_PER_BODY = 64;
/** requestIds copied byte for byte into a template: printable ASCII that JSON leaves as it is. */
const PLAIN_REQUEST_ID = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

/**
 * A server push's frame. One change goes to every subscriber with the same body and only its requestId
 * differs, so the body's JSON is written and encoded once per body object (the profile of a push to
 * 1,000 subscribers showed stringify and encode per subscriber), and each frame is the requestId field
 * followed by those shared bytes. `body` must not change after its first push.
 */
export function encodePushFrame(type: string, body: Json, requestId: string, clientIp = ""): Uint8Array {
  if ("requestId" in body) return encodePayloadFrame(type, { ...body, requestId }, clientIp);
  if (!PLAIN_REQUEST_ID.test(requestId)) return encodeFreshPushFrame(type, body, requestId, clientIp);
  let templates = pushTemplates.get(body);
  if (!templates) pushTemplates.set(body, (templates = new Map()));
  const shape = `${type}\u0000${clientIp}\u0000${requestId.length}`;
  let t = templates.get(shape);
  if (!t) {
    const frame = encodeFreshPushFrame(type, body, "0".repeat(requestId.length), clientIp);
    // The value ends the frame: `{"requestId":"` id `"` then the shared tail.
    t = { frame, at: frame.byteLength - pushTails.get(body)!.byteLength - 1 - requestId.length };
    if (templates.size >= MAX_TEMPLATES_PER_BODY) templates.clear();
    templates.set(shape, t);
  }
  const out = t.frame.slice();
  for (let k = 0; k < requestId.length; k++) out[t.at + k] = requestId.charCodeAt(k);
  return out;
}

function encodeFreshPushFrame(type: string, body: Json, requestId: string, clientIp: string): Uint8Array {
  let tail = pushTails.get(body);
  if (!tail) {
    const json = toNacosJson(body);
    tail = encoder.encode(json === "{}" ? "}" : "," + json.slice(1));
    pushTails.set(body, tail);
  }
  const head = encoder.encode(`{"requestId":${JSON.stringify(requestId)}`);
  const value = new Uint8Array(head.byteLength + tail.byteLength);
  value.set(head);
  value.set(tail, head.byteLength);
  return encodeRawPayload(type, value, clientIp, {}, true);
}

/** The Payload with its 5-byte gRPC message prefix, ready for a DATA frame. */
export function encodePayloadFrame(type: string, body: Json, clientIp = ""): Uint8Array {
  return encodeRawPayload(type, toNacosJson(body), clientIp, {}, true);
}
