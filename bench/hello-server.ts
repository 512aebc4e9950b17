/**
 * The HTTP ceiling: a bare hello-world server answering a small JSON body, on the same HTTP stack tnacos
 * uses on that runtime (Bun.serve on Bun, Deno.serve on Deno, node:http on Node; platform/<rt>/http.ts),
 * with no routing, params or storage; `/list` answers a body the size of the list row's instead.
 * `<runtime> bench/hello-server.ts <port>`; prints "listening <port>".
 */
import * as http from "node:http";
import process from "node:process";

const port = Number(process.argv[2] ?? 18080);
const BODY = '{"ok":true}';
/**
 * `/list`: the bytes of tnacos's answer to the bench's instance list (50 instances, one ServiceInfo),
 * built once: the same ceiling for an answer that size (the list row's body is ~18 KB, and writing it is
 * most of what the row costs).
 */
const LIST_BODY = (() => {
  const svc = "DEFAULT_GROUP@@list-bench";
  const hosts = Array.from({ length: 50 }, (_, i) => ({
    instanceId: `10.0.0.${i}#8080#DEFAULT#${svc}`, ip: `10.0.0.${i}`, port: 8080, weight: 1, healthy: true, enabled: true,
    ephemeral: true, clusterName: "DEFAULT", serviceName: svc, metadata: {}, instanceHeartBeatInterval: 5000,
    instanceHeartBeatTimeOut: 15000, ipDeleteTimeout: 30000, instanceIdGenerator: "simple",
  }));
  return JSON.stringify({
    hosts, name: svc, groupName: "DEFAULT_GROUP", clusters: "", cacheMillis: 10000, lastRefTime: Date.now(), checksum: "",
    allIPs: false, reachProtectionThreshold: false, valid: true, dom: svc,
  });
})();
const g = globalThis as unknown as {
  Bun?: { serve(o: { hostname: string; port: number; fetch(req: Request): Response }): unknown };
  Deno?: { serve(o: { hostname: string; port: number; onListen(): void }, h: (req: Request) => Response): unknown };
};
const isList = (url: string | undefined) => url !== undefined && url.endsWith("/list");
const answer = (req: Request) => new Response(isList(req.url) ? LIST_BODY : BODY, { headers: { "content-type": "application/json" } });

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
      res.end(isList(req.url) ? LIST_BODY : BODY);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
}
const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setTimeout(stop, 30 * 60 * 1000).unref();
