/**
 * Network ports. HTTP/1.1 takes a fetch-style handler over light request/response values (building
 * WHATWG Request/Response objects costs ~100 µs per call on Node; see ARCHITECTURE.md). HTTP/2 is the
 * raw stream surface the thin gRPC layer in src/api/grpc needs: sessions (one TCP connection each,
 * the unit of a Nacos connection), streams, headers, data frames and trailers.
 */

export interface HttpRequest {
  readonly method: string;
  /** Absolute URL (scheme://host/path?query) as itty-router expects. */
  readonly url: string;
  /** Header lookup, case-insensitive. */
  header(name: string): string | undefined;
  /** All headers, lower-cased names. */
  headers(): Record<string, string>;
  /** The body as UTF-8 text, at most `maxBytes` (the listener rejects larger bodies with 413). */
  text(): Promise<string>;
  /** The body as bytes (multipart uploads), same limit. A body is read once: text() and bytes() share it. */
  bytes(): Promise<Uint8Array>;
  readonly remoteAddress: string;
  /** Aborts when the client goes away before the answer is sent (a held long poll is then released). */
  readonly gone?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;

export interface HttpServeOptions {
  host: string;
  port: number;
  handler: HttpHandler;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
}

export interface Listener {
  /** The bound port (useful when 0 was asked for). */
  readonly port: number;
  /** Stops accepting, ends open connections gracefully, resolves when closed. */
  close(): Promise<void>;
}

export type H2Headers = Record<string, string | string[] | number | undefined>;

/** One server-side HTTP/2 stream. */
export interface H2ServerStream {
  readonly headers: H2Headers;
  /** True once the peer reset it or it closed: writing is then a no-op. */
  readonly closed: boolean;
  onData(fn: (chunk: Uint8Array) => void): void;
  /** The peer half-closed its side. */
  onEnd(fn: () => void): void;
  /** The stream is gone (normal end, reset, or session close). Fired once. */
  onClose(fn: () => void): void;
  /** Sends response headers; `endStream` for trailers-only responses. */
  respond(headers: H2Headers, endStream?: boolean): void;
  /** Writes a data frame; returns false when the peer is slow (the caller may apply backpressure). */
  write(data: Uint8Array): boolean;
  /** Bytes written but not yet taken by the peer (queued behind HTTP/2 flow control). */
  readonly bufferedBytes: number;
  /** Ends the stream with trailers. */
  end(trailers: H2Headers): void;
  /** Abruptly resets the stream. */
  reset(): void;
}

/** One HTTP/2 connection from a peer. */
export interface H2Session {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  onStream(fn: (stream: H2ServerStream) => void): void;
  onClose(fn: () => void): void;
  /** Sends GOAWAY and closes once streams finish; destroys after `graceMs`. */
  goaway(graceMs: number): void;
  destroy(): void;
}

export interface H2ServeOptions {
  host: string;
  port: number;
  onSession(session: H2Session): void;
  /** Largest accepted frame payload / header list: protects memory. */
  maxHeaderListBytes?: number;
  /** Most TCP connections open at once; more are closed at once. */
  maxConnections?: number;
  /** A connection that has not opened an HTTP/2 stream this long after it was accepted is closed. */
  setupTimeoutMs?: number;
  /** A connection was closed by one of the two limits above (for the log and metrics). */
  onRefused?(reason: "too_many_connections" | "setup_timeout", remoteAddress: string): void;
}

export interface H2Listener extends Listener {
  /** Graceful shutdown: GOAWAY to every session, wait up to `graceMs`, then destroy. */
  close(graceMs?: number): Promise<void>;
}

/**
 * One port for HTTP/1.1 and HTTP/2 (h2c with prior knowledge: gRPC), told apart per connection by its
 * first bytes: the HTTP/2 client preface goes to the HTTP/2 server, anything else to the HTTP/1.1 one.
 */
export interface OnePortServeOptions {
  host: string;
  port: number;
  http: Pick<HttpServeOptions, "handler" | "maxBodyBytes">;
  h2: Omit<H2ServeOptions, "host" | "port">;
  /** A connection whose first bytes have not told its protocol within this is closed. */
  peekTimeoutMs: number;
  /** Most connections being told apart at once; more are closed at once. */
  maxPeeking: number;
  /** An HTTP/1.1 request whose headers are not all in this long after its first byte is answered 408 and closed. */
  headersTimeoutMs: number;
  /**
   * A connection was closed before a server took it (one of the two limits on peeking), its request
   * headers took too long (408), or the HTTP/1.1 server could not parse what it sent (400): for the
   * log and metrics.
   */
  onRefused?(reason: "peek_timeout" | "too_many_peeking" | "headers_timeout" | "bad_request", remoteAddress: string): void;
}

/** Client side, for node-to-node calls and tests. */
export interface H2ClientStream {
  onResponse(fn: (headers: H2Headers) => void): void;
  onData(fn: (chunk: Uint8Array) => void): void;
  onTrailers(fn: (trailers: H2Headers) => void): void;
  onClose(fn: () => void): void;
  write(data: Uint8Array): boolean;
  end(): void;
  reset(): void;
}

export interface H2ClientSession {
  request(headers: H2Headers): H2ClientStream;
  onClose(fn: () => void): void;
  readonly closed: boolean;
  /** Sends GOAWAY and closes once open streams finish. */
  close(): void;
  /** Drops the connection at once, no GOAWAY and no stream endings: what a crashed peer looks like. */
  destroy(): void;
}

export interface Net {
  serveHttp(opts: HttpServeOptions): Promise<Listener>;
  serveH2(opts: H2ServeOptions): Promise<H2Listener>;
  /** TNACOS_ONE_PORT: `close` ends both halves (GOAWAY to HTTP/2 sessions, HTTP/1.1 connections within the grace). */
  serveOnePort(opts: OnePortServeOptions): Promise<H2Listener>;
  /** `authority` is host:port; plaintext h2c with prior knowledge. */
  dialH2(authority: string): Promise<H2ClientSession>;
}
