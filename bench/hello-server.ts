/**
 * The HTTP ceiling: a bare hello-world server answering a small JSON body, on the same HTTP stack tnacos
 * uses on that runtime (Bun.serve on Bun, Deno.serve on Deno, node:http on Node; platform/<rt>/http.ts),
 * with no routing, params or storage. `<runtime> bench/hello-server.ts <port>`; prints "listening <port>".
 */
import * as http from "node:http";
import process from "node:process";

const port = Number(process.argv[2] ?? 18080);
const BODY = '{"ok":true}';
const g = globalThis as unknown as {
  Bun?: { serve(o: { hostname: string; port: number; fetch(): Response }): unknown };
  Deno?: { serve(o: { hostname: string; port: number; onListen(): void }, h: () => Response): unknown };
};
const answer = () => new Response(BODY, { headers: { "content-type": "application/json" } });

if (g.Bun) {
  g.Bun.serve({ hostname: "127.0.0.1", port, fetch: answer });
  console.log(`listening ${port}`);
} else if (g.Deno) {
  g.Deno.serve({ hostname: "127.0.0.1", port, onListen: () => console.log(`listening ${port}`) }, answer);
} else {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(BODY);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
}
const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setTimeout(stop, 30 * 60 * 1000).unref();
