/**
 * UDP push to Nacos 1.x clients (the Java 1.x and Node SDKs subscribe with instance/list?udpPort&clientIP).
 * Datagram: `{"type":"dom","data":"<ServiceInfo JSON, grouped name>","lastRefTime":n}`, gzipped when it
 * is 1 KiB or more (clients detect the gzip magic). The client answers from its socket with
 * `{"type":"push-ack","lastRefTime":n,"data":""}`; `n` is unique per push and matches the ack.
 * Retries are the push engine's; this resolves false when no ack comes in time.
 */
import type { Cancel, Clock, Timer } from "../ports/clock.ts";
import type { Log } from "../ports/log.ts";
import type { UdpPeer, UdpSocket } from "../ports/udp.ts";
import { gzip } from "../lib/gzip.ts";

/** Nacos gzips a push of this size or more. */
const GZIP_FROM_BYTES = 1024;
/** Largest UDP payload over IPv4. */
const MAX_DATAGRAM_BYTES = 65_507;
/** Pushes awaiting an ack; beyond it new ones fail at once (the engine counts and retries them). */
const MAX_PENDING = 50_000;

interface Pending {
  resolve(acked: boolean): void;
  cancel: Cancel;
}

export class UdpPusher {
  private readonly pending = new Map<string, Pending>();
  /** `lastRefTime`s stay below 2^53 (clients parse them as JSON numbers and echo them back). */
  private next: number;
  private socket: UdpSocket | undefined;
  private readonly timer: Timer;
  private readonly log: Log;

  constructor(deps: { clock: Clock; timer: Timer; log: Log }) {
    this.timer = deps.timer;
    this.log = deps.log;
    this.next = deps.clock.now();
  }

  attach(socket: UdpSocket): void {
    this.socket = socket;
  }

  get attached(): boolean {
    return this.socket !== undefined;
  }

  async push(address: string, port: number, serviceInfo: Record<string, unknown>, timeoutMs: number): Promise<boolean> {
    const socket = this.socket;
    if (!socket || this.pending.size >= MAX_PENDING) return false;
    const lastRefTime = ++this.next;
    const json = JSON.stringify({ type: "dom", data: JSON.stringify(serviceInfo), lastRefTime });
    let bytes: Uint8Array = new TextEncoder().encode(json);
    if (bytes.byteLength >= GZIP_FROM_BYTES) bytes = await gzip(bytes);
    if (bytes.byteLength > MAX_DATAGRAM_BYTES) {
      this.log.warn("udp push too large for one datagram; the client keeps polling", { to: `${address}:${port}`, bytes: bytes.byteLength });
      return false;
    }
    const key = String(lastRefTime);
    return new Promise<boolean>((resolve) => {
      const cancel = this.timer.after(timeoutMs, () => {
        if (this.pending.delete(key)) resolve(false);
      });
      this.pending.set(key, { resolve, cancel });
      socket.send(bytes, port, address);
    });
  }

  /** A datagram from a client: a push-ack settles its push; anything else is ignored. */
  onDatagram(data: Uint8Array, from: UdpPeer): void {
    let msg: { type?: unknown; lastRefTime?: unknown };
    try {
      msg = JSON.parse(new TextDecoder().decode(data));
    } catch {
      this.log.debug("udp datagram is not JSON", { from: `${from.address}:${from.port}` });
      return;
    }
    if (msg?.type !== "push-ack") return;
    const key = String(msg.lastRefTime);
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    p.cancel();
    p.resolve(true);
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      p.cancel();
      p.resolve(false);
    }
    this.pending.clear();
    await this.socket?.close();
    this.socket = undefined;
  }
}
