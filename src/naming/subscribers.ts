/**
 * Who wants pushes for which service: gRPC connections (SubscribeServiceRequest) and 1.x UDP
 * receivers (instance/list with udpPort). A subscriber id is the connection id, or `udp:ip:port`.
 * Bounded: a connection cannot subscribe to more than MAX_SUBSCRIPTIONS_PER_CLIENT services.
 */
export interface Subscriber {
  /** Connection id, or `udp:<ip>:<port>`. */
  readonly id: string;
  readonly kind: "grpc" | "udp";
  readonly serviceKey: string;
  /** The clusters string exactly as the client sent it (echoed in ServiceInfo; clients key caches on it). */
  clusters: string;
  ip: string;
  /** UDP only: destination port. */
  port: number;
  agent: string;
  app: string;
  /** Monotonic ms of the last (re-)subscription: UDP subscribers expire without refreshes. */
  refreshedAtMs: number;
}

export const MAX_SUBSCRIPTIONS_PER_CLIENT = 100_000;
export const MAX_SUBSCRIBERS = 1_000_000;

export class SubscriberIndex {
  private readonly byService = new Map<string, Map<string, Subscriber>>();
  private readonly byClient = new Map<string, Set<string>>();
  private total = 0;

  get count(): number {
    return this.total;
  }

  /** Adds or refreshes; returns false when a bound refuses it. */
  add(s: Subscriber): boolean {
    let m = this.byService.get(s.serviceKey);
    const existing = m?.get(s.id);
    if (existing) {
      existing.clusters = s.clusters;
      existing.refreshedAtMs = s.refreshedAtMs;
      existing.agent = s.agent;
      existing.app = s.app;
      return true;
    }
    let keys = this.byClient.get(s.id);
    if ((keys?.size ?? 0) >= MAX_SUBSCRIPTIONS_PER_CLIENT || this.total >= MAX_SUBSCRIBERS) return false;
    if (!m) this.byService.set(s.serviceKey, (m = new Map()));
    m.set(s.id, s);
    if (!keys) this.byClient.set(s.id, (keys = new Set()));
    keys.add(s.serviceKey);
    this.total++;
    return true;
  }

  remove(id: string, serviceKey: string): boolean {
    const m = this.byService.get(serviceKey);
    if (!m?.delete(id)) return false;
    if (m.size === 0) this.byService.delete(serviceKey);
    const keys = this.byClient.get(id);
    keys?.delete(serviceKey);
    if (keys?.size === 0) this.byClient.delete(id);
    this.total--;
    return true;
  }

  removeClient(id: string): number {
    const keys = this.byClient.get(id);
    if (!keys) return 0;
    let n = 0;
    for (const k of [...keys]) if (this.remove(id, k)) n++;
    return n;
  }

  of(serviceKey: string): Subscriber[] {
    const m = this.byService.get(serviceKey);
    return m ? [...m.values()] : [];
  }

  has(serviceKey: string): boolean {
    return this.byService.has(serviceKey);
  }

  serviceKeys(): IterableIterator<string> {
    return this.byService.keys();
  }

  clientIds(): IterableIterator<string> {
    return this.byClient.keys();
  }
}
