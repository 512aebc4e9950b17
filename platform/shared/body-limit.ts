import type { HttpRequest } from "../../src/ports/net.ts";

/**
 * The light request of the net port over a WHATWG Request (Bun.serve and Deno.serve). The peer address
 * and the abort signal are looked up on first use: Bun's requestIP() was 8% of a config get's CPU, and
 * most requests never read either.
 */
export function lightRequest(req: Request, remoteAddress: () => string, maxBodyBytes: number): HttpRequest {
  let body: Promise<Uint8Array> | undefined;
  let remote: string | undefined;
  const bytes = () => {
    if (body) return body;
    // A declared length over the limit is refused before a byte is read.
    const declared = req.headers.get("content-length");
    if (Number(declared ?? 0) > maxBodyBytes) return Promise.reject(bodyTooLarge(maxBodyBytes));
    // With a declared length the runtime reads exactly that many bytes in one native call (the stream
    // reader below was 14% of a publish's CPU on Bun); a chunked body is counted as it arrives.
    body = declared !== null ? req.arrayBuffer().then((b) => new Uint8Array(b)) : readLimited(req.body, maxBodyBytes);
    return body;
  };
  return {
    method: req.method,
    url: absoluteUrl(req.url),
    header: (n) => req.headers.get(n) ?? undefined,
    headers: () => Object.fromEntries(req.headers),
    text: () => bytes().then((b) => new TextDecoder().decode(b)),
    bytes,
    get remoteAddress() {
      return (remote ??= remoteAddress().replace(/^::ffff:/, ""));
    },
    // Bun.serve and Deno.serve abort the request's signal when the client disconnects. Bun makes the
    // signal on first access (3% of a config get), and only held long polls need it.
    get gone() {
      return req.signal;
    },
  };
}

/**
 * Bun hands an HTTP/1.0 request without a Host header over with a bare path ("/health") as its URL;
 * every other case is already absolute. The router needs an absolute URL, as Node's adapter builds one.
 */
export function absoluteUrl(url: string): string {
  return url.startsWith("/") ? `http://localhost${url}` : url;
}

/** Thrown by HttpRequest.text() when a body exceeds the listener's limit; the HTTP layer answers 413. */
export function bodyTooLarge(limit: number): Error {
  const e = new Error(`request body too large: the limit is ${limit} bytes`);
  e.name = "BodyTooLarge";
  return e;
}

/** Reads a WHATWG body stream with a byte limit (Bun.serve and Deno.serve requests). */
export async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw bodyTooLarge(limit);
    }
    chunks.push(value);
  }
  return concat(chunks, size);
}

export function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}
