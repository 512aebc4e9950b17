/** HTTP/1.1 on Bun.serve: twice as fast as node:http on Bun (runtime-facts §2). */
import type { HttpRequest, HttpServeOptions, Listener } from "../../src/ports/net.ts";
import { readLimited } from "../shared/body-limit.ts";

export function serveHttp(opts: HttpServeOptions): Promise<Listener> {
  const server = Bun.serve({
    hostname: opts.host,
    port: opts.port,
    maxRequestBodySize: opts.maxBodyBytes,
    idleTimeout: 120,
    async fetch(req, srv) {
      const light: HttpRequest = {
        method: req.method,
        url: req.url,
        header: (n) => req.headers.get(n) ?? undefined,
        headers: () => Object.fromEntries(req.headers),
        text: () => readLimited(req.body, opts.maxBodyBytes),
        remoteAddress: (srv.requestIP(req)?.address ?? "").replace(/^::ffff:/, ""),
      };
      const r = await opts.handler(light);
      return new Response(r.body as BodyInit | undefined, { status: r.status, headers: r.headers });
    },
    error() {
      return new Response("server error", { status: 500 });
    },
  });
  return Promise.resolve({
    port: server.port ?? opts.port,
    close: async () => {
      await server.stop(false);
    },
  });
}
