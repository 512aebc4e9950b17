/**
 * The ceiling for bench/run.mjs: a bare gRPC server on `node:http2` with the same framing as tnacos's
 * (5-byte length prefix, `:status 200` + `content-type: application/grpc`, `grpc-status` trailer via
 * waitForTrailers) that echoes the request message back and does nothing else: no protobuf, no JSON, no
 * dispatch. Runs unchanged on Node 22, Bun and Deno.
 *
 *   <runtime> bench/echo-server.ts <port>     prints "listening <port>" once it accepts connections
 */
import * as http2 from "node:http2";
import process from "node:process";

const port = Number(process.argv[2] ?? 9849);
const HEADERS = { ":status": 200, "content-type": "application/grpc" };
const TRAILERS = { "grpc-status": "0" };

const server = http2.createServer({ settings: { maxConcurrentStreams: 1024 } });
server.on("stream", (stream: http2.ServerHttp2Stream) => {
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  stream.on("end", () => {
    // Bun fires 'end' on streams the peer already reset; respond() would throw (runtime-facts §1).
    if (stream.destroyed || stream.closed) return;
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    try {
      stream.respond(HEADERS, { waitForTrailers: true });
      stream.once("wantTrailers", () => {
        if (!stream.destroyed) stream.sendTrailers(TRAILERS);
      });
      // write + end as tnacos does (the request's frame, prefix included, is a valid response frame).
      stream.write(body);
      stream.end();
    } catch {
      // peer gone
    }
  });
  stream.on("error", () => {});
});
server.on("sessionError", () => {});
server.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
const stop = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref(); // open client sessions do not hold the exit
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setTimeout(() => process.exit(0), 30 * 60 * 1000).unref(); // never outlive a forgotten bench
