/** HTTP/1.1 on Deno.serve. */
import type { HttpServeOptions, Listener } from "../../src/ports/net.ts";
import { lightRequest } from "../shared/body-limit.ts";
import { responseHeaders } from "../shared/frozen-headers.ts";

export function serveHttp(opts: HttpServeOptions): Promise<Listener> {
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: opts.host,
        port: opts.port,
        onListen(addr) {
          resolve({
            port: (addr as Deno.NetAddr).port,
            close: async () => {
              await server.shutdown();
            },
          });
        },
        onError() {
          return new Response("server error", { status: 500 });
        },
      }, async (req, info) => {
        const light = lightRequest(req, () => (info.remoteAddr as Deno.NetAddr).hostname ?? "", opts.maxBodyBytes);
        const r = await opts.handler(light);
        return new Response(r.body as BodyInit | undefined, { status: r.status, headers: responseHeaders(r.headers) });
      });
    } catch (e) {
      reject(e);
    }
  });
}
