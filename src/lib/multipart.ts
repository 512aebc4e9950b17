/**
 * multipart/form-data (RFC 7578) as browsers, curl and Java clients send uploads: the parts of one
 * in-memory body, found by byte search for the boundary. Bounded by a part count; a malformed body is a
 * MultipartError naming the defect, never anything else.
 */

export class MultipartError extends Error {
  override name = "MultipartError";
}

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Uint8Array;
}

const MAX_PARTS = 64;
const MAX_HEADER_BYTES = 8 * 1024;

/** The boundary of a `multipart/form-data; boundary=...` content type, or undefined for another type. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export function parseMultipart(body: Uint8Array, boundary: string): Part[] {
  const enc = new TextEncoder();
  const delim = enc.encode(`--${boundary}`);
  let at = indexOf(body, delim, 0);
  if (at < 0) throw new MultipartError("malformed multipart body: the boundary never appears");
  const parts: Part[] = [];
  const sep = enc.encode(`\r\n--${boundary}`);
  for (;;) {
    at += delim.length;
    // "--" after a delimiter closes the body.
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts;
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) throw new MultipartError("malformed multipart body: a boundary is not followed by CRLF");
    at += 2;
    const headEnd = indexOf(body, enc.encode("\r\n\r\n"), at);
    if (headEnd < 0 || headEnd - at > MAX_HEADER_BYTES) throw new MultipartError("malformed multipart body: part headers are unterminated or too long");
    const headers = new TextDecoder().decode(body.subarray(at, headEnd));
    const next = indexOf(body, sep, headEnd + 4);
    if (next < 0) throw new MultipartError("malformed multipart body: the closing boundary is missing");
    if (parts.length >= MAX_PARTS) throw new MultipartError(`too many parts in the multipart body (more than ${MAX_PARTS})`);
    parts.push({ ...partHeaders(headers), data: body.subarray(headEnd + 4, next) });
    at = next + 2;
  }
}

function partHeaders(raw: string): Omit<Part, "data"> {
  let disposition = "";
  let contentType: string | undefined;
  for (const line of raw.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name === "content-disposition") disposition = line.slice(colon + 1).trim();
    else if (name === "content-type") contentType = line.slice(colon + 1).trim();
  }
  if (!/^form-data\s*(;|$)/i.test(disposition)) throw new MultipartError("malformed multipart body: a part has no form-data Content-Disposition");
  const param = (key: string) => {
    const m = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, "i").exec(disposition) ?? new RegExp(`;\\s*${key}=([^;\\s]*)`, "i").exec(disposition);
    return m ? m[1].replace(/\\(.)/g, "$1") : undefined;
  };
  const name = param("name");
  if (name === undefined) throw new MultipartError("malformed multipart body: a part has no name");
  return { name, filename: param("filename"), contentType };
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first, from); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}
