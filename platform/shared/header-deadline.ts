/**
 * How long an HTTP/1.1 request on a one-port connection may take to deliver its headers. Bun's node:http
 * applies no header timeout to a connection emitted to it (Bun.serve closes one that trickles its headers
 * after about 10 s), so without this a client sending a header byte now and then would hold a socket
 * for good. A request starts with the first byte read after the previous answer ended; it must reach
 * node:http's 'request' event (headers complete) within `timeoutMs`. Node and Deno run node:http's own
 * headersTimeout as well; this one is the same on every runtime.
 */
import type * as http from "node:http";
import type { Socket } from "node:net";

interface Pending {
  /** When the request being received started; undefined between requests. */
  since: number | undefined;
  /** bytesRead when the last answer ended: more than this starts the next request. */
  readAtAnswer: number;
  handling: boolean;
}

export class HeaderDeadlines {
  private readonly pending = new Map<Socket, Pending>();
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly timeoutMs: number;
  private readonly onExpired: (socket: Socket) => void;

  constructor(server: http.Server, timeoutMs: number, onExpired: (socket: Socket) => void) {
    this.timeoutMs = timeoutMs;
    this.onExpired = onExpired;
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      const p = this.pending.get(req.socket as Socket);
      if (!p) return;
      p.handling = true;
      p.since = undefined;
      res.once("close", () => {
        p.handling = false;
        p.readAtAnswer = req.socket.bytesRead;
      });
    });
    // Checked a few times per bound: a connection is closed between timeoutMs and 1.25 × timeoutMs.
    this.sweeper = setInterval(() => this.sweep(), Math.min(5000, Math.max(50, timeoutMs / 4)));
    (this.sweeper as { unref?: () => void }).unref?.();
  }

  /** A connection handed to node:http with its first bytes already read. */
  track(socket: Socket): void {
    this.pending.set(socket, { since: performance.now(), readAtAnswer: 0, handling: false });
    socket.once("close", () => this.pending.delete(socket));
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = performance.now();
    for (const [socket, p] of this.pending) {
      if (p.handling) continue;
      if (p.since === undefined) {
        if (socket.bytesRead > p.readAtAnswer) p.since = now;
        continue;
      }
      if (now - p.since > this.timeoutMs) {
        this.pending.delete(socket);
        this.onExpired(socket);
      }
    }
  }
}
