import type { Server } from "node:net";

/**
 * Starts `server` listening on host:port; resolves with the port it got (port 0 picks a free one) or
 * rejects with the listen error (a taken port), the one way every node:net-based listener starts.
 */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : port);
    });
  });
}
