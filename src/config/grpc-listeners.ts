/**
 * gRPC config listeners: which connection listens to which config (ConfigBatchListenRequest), and the
 * ConfigChangeNotifyRequest pushes when one changes (nacos-protocol.md §2.4, §2.5, §1.6).
 *
 * A push must be acked. An unacked one is retried after 2·n s (capped), up to 50 tries, while the
 * connection lives and still listens. Per (connection, key) at most one push is in flight; a change
 * during it is remembered and sent once after it: bounded by the number of listened keys, not by the
 * rate of changes. Listeners go when their connection goes.
 */
import type { Cancel, Timer } from "../ports/clock.ts";
import type { Log } from "../ports/log.ts";
import type { Connection } from "../api/grpc/connection.ts";
import type { ConnectionManager } from "../api/grpc/connection-manager.ts";
import { keyString } from "./keys.ts";
import type { ConfigKey } from "./model.ts";

/** The key as the client spelled it: echoed in pushes and changedConfigs, since clients key caches by it. */
export interface EchoKey {
  dataId: string;
  group: string;
  tenant: string;
}

interface Listening {
  echo: EchoKey;
  /** The md5 the client last reported (for listener queries). */
  md5: string;
  clientIp: string;
}

interface PushState {
  attempt: number;
  /** Another change arrived while a push was in flight. */
  again: boolean;
  cancel: Cancel | undefined;
}

export const LISTENER_LIMITS = {
  /** Keys one connection may listen to (the Java client puts 3000 per connection). */
  keysPerConnection: 10_000,
  notifyTimeoutMs: 3000,
  maxRetries: 50,
  retryCapMs: 30_000,
  /** Pushes in flight or waiting for a retry, over all connections. */
  maxPendingPushes: 200_000,
} as const;

export class GrpcListeners {
  private readonly byKey = new Map<string, Map<string, Listening>>();
  private readonly byConn = new Map<string, Set<string>>();

  /** Connections listening to at least one config. */
  get connectionCount(): number {
    return this.byConn.size;
  }
  private readonly pushes = new Map<string, PushState>();
  private readonly connections: ConnectionManager;
  private readonly timer: Timer;
  private readonly log: Log;
  private stopped = false;
  /** Count of pushes acked (for tests and metrics). */
  acked = 0;
  dropped = 0;

  constructor(connections: ConnectionManager, timer: Timer, log: Log) {
    this.connections = connections;
    this.timer = timer;
    this.log = log;
    connections.onDisconnected((conn) => this.dropConnection(conn.id));
  }

  /** Returns false when the connection would exceed its key limit. */
  listen(conn: Connection, key: ConfigKey, echo: EchoKey, md5: string, clientIp: string): boolean {
    const ck = keyString(key);
    let keys = this.byConn.get(conn.id);
    if (!keys) this.byConn.set(conn.id, (keys = new Set()));
    if (!keys.has(ck) && keys.size >= LISTENER_LIMITS.keysPerConnection) return false;
    keys.add(ck);
    let conns = this.byKey.get(ck);
    if (!conns) this.byKey.set(ck, (conns = new Map()));
    conns.set(conn.id, { echo, md5, clientIp });
    return true;
  }

  unlisten(conn: Connection, key: ConfigKey): void {
    const ck = keyString(key);
    this.byConn.get(conn.id)?.delete(ck);
    const conns = this.byKey.get(ck);
    conns?.delete(conn.id);
    if (conns?.size === 0) this.byKey.delete(ck);
    this.cancelPush(conn.id, ck);
  }

  dropConnection(connId: string): void {
    const keys = this.byConn.get(connId);
    if (!keys) return;
    this.byConn.delete(connId);
    for (const ck of keys) {
      const conns = this.byKey.get(ck);
      conns?.delete(connId);
      if (conns?.size === 0) this.byKey.delete(ck);
      this.cancelPush(connId, ck);
    }
  }

  listenerCount(): number {
    let n = 0;
    for (const m of this.byKey.values()) n += m.size;
    return n;
  }

  /** Client IP → md5, for GET /v1/cs/configs/listener. */
  listenersOf(key: ConfigKey): { clientIp: string; md5: string }[] {
    return [...(this.byKey.get(keyString(key))?.values() ?? [])].map((l) => ({ clientIp: l.clientIp, md5: l.md5 }));
  }

  /** Key → md5 of every connection whose client IP is `ip`, for GET /v1/cs/listener?ip=. */
  keysOfIp(ip: string): { echo: EchoKey; md5: string }[] {
    const out: { echo: EchoKey; md5: string }[] = [];
    for (const conns of this.byKey.values()) {
      for (const l of conns.values()) if (l.clientIp === ip) out.push({ echo: l.echo, md5: l.md5 });
    }
    return out;
  }

  /** A config changed: notify every listening connection. */
  changed(key: ConfigKey): void {
    if (this.stopped) return;
    const ck = keyString(key);
    const conns = this.byKey.get(ck);
    if (!conns) return;
    for (const connId of conns.keys()) this.notify(connId, ck);
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.pushes.values()) p.cancel?.();
    this.pushes.clear();
  }

  private notify(connId: string, ck: string): void {
    const id = `${connId}\u0002${ck}`;
    const cur = this.pushes.get(id);
    if (cur) {
      cur.again = true;
      if (cur.cancel) {
        // Waiting for a retry: a new change is worth sending now.
        cur.cancel();
        cur.cancel = undefined;
        this.send(id, connId, ck, cur);
      }
      return;
    }
    if (this.pushes.size >= LISTENER_LIMITS.maxPendingPushes) {
      this.dropped++;
      this.log.warn("config notify dropped: too many pending pushes", { conn: connId, pending: this.pushes.size });
      return;
    }
    const st: PushState = { attempt: 0, again: false, cancel: undefined };
    this.pushes.set(id, st);
    this.send(id, connId, ck, st);
  }

  private send(id: string, connId: string, ck: string, st: PushState): void {
    const conn = this.connections.get(connId);
    const l = this.byKey.get(ck)?.get(connId);
    if (!conn || conn.closed || !l || this.stopped) {
      this.pushes.delete(id);
      return;
    }
    st.again = false;
    st.attempt++;
    const body = { dataId: l.echo.dataId, group: l.echo.group, tenant: l.echo.tenant, module: "config", headers: {} };
    this.connections.push(conn, "ConfigChangeNotifyRequest", body, LISTENER_LIMITS.notifyTimeoutMs).then(
      (resp) => {
        if (this.pushes.get(id) !== st) return;
        if (resp.resultCode === 200 || resp.success === true) {
          this.acked++;
          if (st.again) {
            st.attempt = 0;
            this.send(id, connId, ck, st);
          } else this.pushes.delete(id);
        } else this.retry(id, connId, ck, st, `answered errorCode ${String(resp.errorCode)}`);
      },
      (e: Error) => {
        if (this.pushes.get(id) !== st) return;
        this.retry(id, connId, ck, st, e.message);
      },
    );
  }

  private retry(id: string, connId: string, ck: string, st: PushState, why: string): void {
    if (st.attempt >= LISTENER_LIMITS.maxRetries || !this.byKey.get(ck)?.has(connId)) {
      this.pushes.delete(id);
      if (st.attempt >= LISTENER_LIMITS.maxRetries) this.log.warn("config notify given up", { conn: connId, tries: st.attempt, why });
      return;
    }
    const delay = Math.min(2000 * st.attempt, LISTENER_LIMITS.retryCapMs);
    st.cancel = this.timer.after(delay, () => {
      st.cancel = undefined;
      this.send(id, connId, ck, st);
    });
  }

  private cancelPush(connId: string, ck: string): void {
    const id = `${connId}\u0002${ck}`;
    this.pushes.get(id)?.cancel?.();
    this.pushes.delete(id);
  }
}
