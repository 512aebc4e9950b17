/**
 * In a cluster an HTTP-registered ephemeral instance has one writer: the owner of its service
 * (src/distro/ownership.ts). A registration, removal, update or beat arriving at another node is
 * forwarded to the owner over the peer transport and the client gets the owner's answer, error
 * included. Persistent writes are not forwarded (they go through the Raft log from any node).
 *
 * If the owner cannot be reached the node handles the request itself: the registry is AP, and the
 * record it writes is reconciled by revision when the owner is back (src/distro/distro.ts).
 */
import { decodeJson, encodeJson } from "../../cluster/host-wire.ts";
import type { PeerTransport } from "../../cluster/transport.ts";
import type { DistroHost } from "../../cluster/distro-host.ts";
import { NamingError, V2 } from "../../naming/errors.ts";
import { serviceKey, splitGrouped } from "../../naming/model.ts";
import { checkService } from "../../naming/checks.ts";
import type { NamingRuntime } from "../../naming/runtime.ts";
import type { Log } from "../../ports/log.ts";
import * as ops from "./naming-ops.ts";
import { batchIsEphemeral, metadataBatch } from "./naming-batch-ops.ts";
import { Params } from "./params.ts";

export const FORWARD_METHOD = "naming.http";
// Short: a client's own HTTP timeout is a few seconds, and an owner that cannot answer in this time
// is better replaced by this node (AP) than waited for.
const FORWARD_TIMEOUT_MS = 2_000;

export type OwnedOp = "register" | "deregister" | "update" | "beat" | "metadataUpdate" | "metadataDelete";
const OPS = new Set<OwnedOp>(["register", "deregister", "update", "beat", "metadataUpdate", "metadataDelete"]);

interface Forwarded {
  op: OwnedOp;
  face: ops.Face;
  params: [string, string][];
}

type Reply = { ok: true; value: unknown } | { ok: false; status: 400 | 404 | 500; code: number; message: string };

/** Runs one owned operation here. */
export async function runOwnedOp(rt: NamingRuntime, op: OwnedOp, p: Params, face: ops.Face): Promise<unknown> {
  switch (op) {
    case "register":
      return await ops.registerInstance(rt, p, face);
    case "deregister":
      return await ops.deregisterInstance(rt, p, face);
    case "update":
      return await ops.updateInstance(rt, p, face);
    case "beat":
      return ops.beat(rt, p, face);
    case "metadataUpdate":
      return await metadataBatch(rt, p, face, "update");
    case "metadataDelete":
      return await metadataBatch(rt, p, face, "delete");
  }
}

/** The service an owned operation touches, when it can touch ephemeral data; undefined = handle here. */
function ephemeralServiceKey(op: OwnedOp, p: Params): string | undefined {
  try {
    if (op !== "beat" && p.trimmed("ephemeral")?.toLowerCase() === "false") return undefined;
    if ((op === "metadataUpdate" || op === "metadataDelete") && !batchIsEphemeral(p)) return undefined;
    let name = p.trimmed("serviceName");
    if (name === undefined && op === "beat") {
      const b = JSON.parse(p.get("beat") ?? "{}") as { serviceName?: unknown };
      if (typeof b.serviceName === "string") name = b.serviceName;
    }
    if (name === undefined) return undefined;
    const { group, name: plain } = splitGrouped(name, p.trimmed("groupName"));
    return serviceKey(checkService(p.trimmed("namespaceId"), group, plain));
  } catch {
    return undefined; // invalid input: the local operation answers with the precise error
  }
}

export interface NamingForwarder {
  run(op: OwnedOp, p: Params, face: ops.Face): Promise<unknown>;
}

export function createNamingForwarder(rt: NamingRuntime, distro: DistroHost, peers: PeerTransport, log: Log): NamingForwarder {
  peers.onCall(FORWARD_METHOD, async (body) => {
    const f = decodeJson<Forwarded>(body);
    if (!OPS.has(f?.op) || (f.face !== "v1" && f.face !== "v2") || !Array.isArray(f.params)) throw new Error("malformed forwarded registry call");
    let reply: Reply;
    try {
      reply = { ok: true, value: await runOwnedOp(rt, f.op, Params.fromEntries(f.params), f.face) };
    } catch (e) {
      if (!(e instanceof NamingError)) throw e;
      reply = { ok: false, status: e.status, code: e.v2Code, message: e.message };
    }
    return encodeJson(reply);
  });
  return {
    async run(op, p, face) {
      const key = ephemeralServiceKey(op, p);
      const owner = key === undefined ? undefined : distro.httpOwner(key);
      if (!owner) return await runOwnedOp(rt, op, p, face);
      let reply: Reply;
      try {
        const call: Forwarded = { op, face, params: [...p.entries()] };
        reply = decodeJson<Reply>(await peers.call(owner, FORWARD_METHOD, encodeJson(call), FORWARD_TIMEOUT_MS));
      } catch (e) {
        log.warn("owner of the service unreachable; handled here", { service: key, owner: owner.id, op, error: (e as Error).message });
        return await runOwnedOp(rt, op, p, face);
      }
      if (reply.ok) return reply.value;
      throw new NamingError(reply.status, reply.message, reply.code ?? V2.SERVER_ERROR);
    },
  };
}
