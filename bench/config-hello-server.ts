/**
 * The HTTP ceiling for bench/config-bench.ts: a bare hello-world server on node:http (works on Node,
 * Bun and Deno), no routing, no params, no storage. `<runtime> bench/config-hello-server.ts <port>`.
 */
import * as http from "node:http";
import process from "node:process";

const port = Number(process.argv[2] ?? 18080);
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/plain;charset=UTF-8" });
    res.end("true");
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setTimeout(stop, 30 * 60 * 1000).unref();
