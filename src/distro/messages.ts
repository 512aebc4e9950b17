/**
 * What Distro nodes say to each other, and the check every message from the wire passes before the
 * core sees it: a peer running another version, or a damaged frame, is logged and ignored, never
 * applied half-way.
 *
 *   sync  owner → every live peer: clients it changed (whole records) and clients it removed
 *   ping  every node → every peer, periodically: "I am alive, and this is the digest of what I own"
 *   have  replica → owner, after the owner's digest differed twice: the (id, revision) pairs it holds
 *         of that owner; the owner answers with a sync of exactly what differs
 *   want  replica → owner: a change arrived for a revision it does not hold; send the whole client
 *   snapReq / snap  a starting node asks each peer for everything it holds, in bounded chunks: records,
 *         then the removals it remembers (so the starting node never numbers a client it re-registers
 *         below a removal it has not seen, whatever its clock says)
 *   bye   a node shutting down: count me down now (HTTP clients move at once; my connections' data
 *         stays for the grace period while their SDKs reconnect elsewhere)
 */
import type { ChangeCause, ClientKind, Digest } from "../naming/ephemeral-store.ts";
import type { ClientRecord } from "../naming/naming-service.ts";
import type { Instance } from "../naming/model.ts";

export type Gone = [id: string, revision: number, cause: ChangeCause];

export type DistroMessage =
  | { t: "sync"; recs: ClientRecord[]; gone: Gone[] }
  | { t: "ping"; d: Digest }
  | { t: "have"; ids: [id: string, revision: number][] }
  | { t: "want"; ids: string[] }
  | { t: "snapReq" }
  | { t: "bye" }
  | { t: "snap"; recs: ClientRecord[]; last: boolean; removed?: [id: string, revision: number][] };

export class BadDistroMessage extends Error {
  override name = "BadDistroMessage";
}

const CAUSES = new Set(["update", "lost", "disconnected"]);
const KINDS = new Set(["connection", "http"]);

function fail(what: string): never {
  throw new BadDistroMessage(`malformed distro message: ${what}`);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nat(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail(`${what} is not a non-negative integer`);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string" || v === "" || v.length > 4096) fail(`${what} is not a string`);
  return v;
}

function instance(v: unknown): Instance {
  if (!isObj(v)) fail("instance is not an object");
  const md = v.metadata;
  if (!isObj(md) || !Object.values(md).every((x) => typeof x === "string")) fail("instance metadata");
  if (typeof v.weight !== "number" || !Number.isFinite(v.weight)) fail("instance weight");
  for (const b of ["healthy", "enabled", "ephemeral"]) if (typeof v[b] !== "boolean") fail(`instance ${b}`);
  if (v.instanceId !== undefined && typeof v.instanceId !== "string") fail("instance id");
  const i: Instance = {
    ip: str(v.ip, "instance ip"), port: nat(v.port, "instance port"), weight: v.weight, healthy: v.healthy as boolean,
    enabled: v.enabled as boolean, ephemeral: true, clusterName: str(v.clusterName, "instance cluster"), metadata: md as Record<string, string>,
  };
  if (typeof v.instanceId === "string") i.instanceId = v.instanceId;
  return i;
}

function record(v: unknown): ClientRecord {
  if (!isObj(v)) fail("record is not an object");
  if (!KINDS.has(v.kind as string)) fail("record kind");
  if (!CAUSES.has(v.cause as string)) fail("record cause");
  if (!Array.isArray(v.services)) fail("record services");
  const services: ClientRecord["services"] = v.services.map((s: unknown) => {
    if (!Array.isArray(s) || s.length !== 2 || !Array.isArray(s[1])) fail("record service entry");
    if (s[1].length > 1000) fail("more than 1000 instances in one service entry");
    return [str(s[0], "service key"), s[1].map(instance)];
  });
  const rec: ClientRecord = {
    id: str(v.id, "record id"), kind: v.kind as ClientKind, owner: nat(v.owner, "record owner"), revision: nat(v.revision, "record revision"),
    cause: v.cause as ChangeCause, services,
  };
  if (v.base !== undefined) rec.base = nat(v.base, "record base");
  return rec;
}

/** Checks a decoded JSON value; throws BadDistroMessage naming the first problem. */
export function checkMessage(v: unknown): DistroMessage {
  if (!isObj(v)) fail("not an object");
  switch (v.t) {
    case "sync": {
      if (!Array.isArray(v.recs) || !Array.isArray(v.gone)) fail("sync lists");
      const gone = v.gone.map((g: unknown): Gone => {
        if (!Array.isArray(g) || g.length !== 3 || !CAUSES.has(g[2] as string)) fail("gone entry");
        return [str(g[0], "gone id"), nat(g[1], "gone revision"), g[2] as ChangeCause];
      });
      return { t: "sync", recs: v.recs.map(record), gone };
    }
    case "ping": {
      if (!isObj(v.d)) fail("ping digest");
      return { t: "ping", d: { n: nat(v.d.n, "digest n"), x: nat(v.d.x, "digest x"), s: nat(v.d.s, "digest s") } };
    }
    case "have": {
      if (!Array.isArray(v.ids)) fail("have ids");
      return { t: "have", ids: v.ids.map((e: unknown): [string, number] => {
        if (!Array.isArray(e) || e.length !== 2) fail("have entry");
        return [str(e[0], "have id"), nat(e[1], "have revision")];
      }) };
    }
    case "want": {
      if (!Array.isArray(v.ids)) fail("want ids");
      return { t: "want", ids: v.ids.map((id: unknown) => str(id, "want id")) };
    }
    case "snapReq":
      return { t: "snapReq" };
    case "bye":
      return { t: "bye" };
    case "snap": {
      if (!Array.isArray(v.recs) || typeof v.last !== "boolean") fail("snap fields");
      const snap: DistroMessage = { t: "snap", recs: v.recs.map(record), last: v.last };
      if (v.removed !== undefined) {
        if (!Array.isArray(v.removed)) fail("snap removed");
        snap.removed = v.removed.map((e: unknown): [string, number] => {
          if (!Array.isArray(e) || e.length !== 2) fail("snap removed entry");
          return [str(e[0], "removed id"), nat(e[1], "removed revision")];
        });
      }
      return snap;
    }
    default:
      fail(`unknown type ${JSON.stringify(v.t)}`);
  }
}
