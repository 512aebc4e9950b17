/**
 * The soak's layout, shared by the driver (bench/soak.ts) and its load workers (bench/soak-worker.ts):
 * which services each connection registers into, what it subscribes to and listens on, and the
 * canonical form of a service's instance list that the final checks compare. Pure functions of the
 * options, so every process derives the same layout without shipping it around.
 */
import { createHash } from "node:crypto";

export interface SoakOptions {
  grpcAuthority: string;
  connections: number;
  instances: number;
  /** Churn rates over all workers, per second. */
  dropsPerSec: number;
  metadataPerSec: number;
  singlesPerSec: number;
  configsPerSec: number;
  /** Config keys in play (published by their owner worker, listened to by connections). */
  configs: number;
  seed: number;
}

/** Instance batches per connection (one BatchInstanceRequest each), as a Dubbo 3 app registering several services. */
export const SLOTS_PER_CONNECTION = 5;
/** Subscriptions and listened configs per connection. */
export const SUBSCRIPTIONS_PER_CONNECTION = 2;
export const LISTENS_PER_CONNECTION = 2;
/** Services that single instances (InstanceRequest) come and go in during churn. */
export const SINGLE_SERVICES = 20;
/** Connections that share one service through their batches: 10 × 10 = 100 instances per service at the defaults. */
const CONNECTIONS_PER_SERVICE = 10;
export const GROUP = "SOAK_GROUP";
export const CONFIG_GROUP = "SOAK";

export const perSlot = (o: SoakOptions) => Math.max(1, Math.floor(o.instances / o.connections / SLOTS_PER_CONNECTION));
export const batchServices = (o: SoakOptions) => Math.max(1, Math.floor((o.connections * SLOTS_PER_CONNECTION) / CONNECTIONS_PER_SERVICE));
export const batchService = (o: SoakOptions, conn: number, slot: number) => `soak-${(conn * SLOTS_PER_CONNECTION + slot) % batchServices(o)}`;
export const singleService = (conn: number) => `soak-single-${conn % SINGLE_SERVICES}`;
export const allServices = (o: SoakOptions) => [
  ...Array.from({ length: batchServices(o) }, (_, i) => `soak-${i}`),
  ...Array.from({ length: SINGLE_SERVICES }, (_, i) => `soak-single-${i}`),
];

/** A connection's instance j in slot `slot`: unique per service (the connection number is in the ip). */
export const instanceAddr = (conn: number, slot: number, j: number) => ({ ip: `10.${(conn >> 8) & 255}.${conn & 255}.${slot}`, port: 1000 + j });

/**
 * Subscriptions cover the first 60% of the batch services ("a good share") plus the single services:
 * pushes then come from batch changes, connection drops and single (de)registrations alike.
 */
export function subscriptionsOf(o: SoakOptions, conn: number): string[] {
  const watched = Math.max(1, Math.floor(batchServices(o) * 0.6));
  const out = new Set<string>();
  for (let k = 0; out.size < SUBSCRIPTIONS_PER_CONNECTION && k < 10; k++) {
    const h = mix(o.seed, conn * 31 + k);
    out.add(k === 1 && conn % 4 === 0 ? singleService(h) : `soak-${h % watched}`);
  }
  return [...out];
}

export const configDataId = (k: number) => `soak-config-${k}`;
export function listensOf(o: SoakOptions, conn: number): number[] {
  const out = new Set<number>();
  for (let k = 0; out.size < Math.min(LISTENS_PER_CONNECTION, o.configs) && k < 10; k++) out.add(mix(o.seed ^ 0x5bd1, conn * 17 + k) % o.configs);
  return [...out];
}

/** The config content a publish writes: its version first, so a listener can tell older from newer. */
export const configContent = (k: number, version: number) => `v${version} soak-config-${k} ${"x".repeat(200)}`;
export const configVersion = (content: string) => Number(/^v(\d+) /.exec(content)?.[1] ?? -1);
export const md5Hex = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

/** One host as the checks compare it: address and the metadata version the soak last wrote. */
export const hostKey = (ip: string, port: number, v: string | undefined) => `${ip}:${port}#${v ?? "-"}`;
/** Order-free digest of a service's instance list. */
export const viewDigest = (hostKeys: string[]) => md5Hex([...hostKeys].sort().join(","));

/** A small integer hash (splitmix-like) so layouts are seeded but need no shared PRNG state. */
export function mix(seed: number, n: number): number {
  let x = (seed ^ Math.imul(n + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
