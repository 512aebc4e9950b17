/**
 * Cluster administration over HTTP, compatible with rnacos (`/nacos/v1/raft/joinnode`,
 * `/nacos/v1/raft/change-membership`, `/nacos/v1/raft/metrics`) and Nacos (`/nacos/v1/core/cluster/nodes`,
 * `/nacos/v2/core/cluster/node/list`). Membership changes run one at a time through the Raft log, on the
 * leader (any node forwards).
 */
import type { RaftHost } from "../../cluster/raft-host.ts";
import type { Member } from "../../raft/types.ts";
import type { HttpRoutes } from "./app.ts";
import { json, text, v2ok } from "./respond.ts";

const MAX_BODY = 64 * 1024;

async function bodyJson(req: { text(): Promise<string> }): Promise<unknown> {
  const raw = await req.text();
  if (raw.length > MAX_BODY) throw new BadRequest("body too large");
  try {
    return JSON.parse(raw);
  } catch {
    throw new BadRequest("body must be JSON");
  }
}

class BadRequest extends Error {}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function nodeId(v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) throw new BadRequest(`node id must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

async function guarded(fn: () => Promise<unknown>): Promise<ReturnType<typeof json>> {
  try {
    return json(200, await fn());
  } catch (e) {
    if (e instanceof BadRequest) return text(400, e.message);
    const status = (e as { status?: number }).status;
    return text(typeof status === "number" && status >= 400 ? status : 500, (e as Error).message);
  }
}

/** A member as Nacos lists it: the HTTP address (gRPC port − 1000, the default offset) plus the Raft address. */
function nacosMember(m: Member, h: RaftHost) {
  const match = HOST_PORT.exec(m.addr);
  const ip = match ? match[1].replace(/^\[|\]$/g, "") : m.addr;
  const port = match ? Number(match[2]) - 1000 : 0;
  const s = h.status();
  const voter = s.voters.some((v) => v.id === m.id);
  return {
    ip, port, address: `${ip}:${port}`, state: "UP", failAccessCnt: 0,
    extendInfo: { raftNodeId: m.id, raftAddr: m.addr, raftRole: m.id === s.leader ? "leader" : voter ? "follower" : "learner", currentNode: m.id === h.id },
  };
}

export function addClusterRoutes(routes: HttpRoutes, host: () => RaftHost): void {
  routes.add("POST", "/nacos/v1/raft/joinnode", (req) =>
    guarded(async () => {
      const b = await bodyJson(req);
      if (!Array.isArray(b) || b.length !== 2 || typeof b[1] !== "string" || !HOST_PORT.test(b[1])) {
        throw new BadRequest('body must be [nodeId, "host:grpcPort"]');
      }
      const id = nodeId(b[0]);
      const h = host();
      const existing = [...h.members().voters, ...h.members().learners].find((m) => m.id === id);
      if (existing && existing.addr === b[1]) return true;
      if (existing) throw new BadRequest(`node ${id} is already a member at ${existing.addr}; remove it first`);
      // Joins as a learner; the leader promotes it to voter once it has caught up.
      await h.changeMembership({ op: "addLearner", id, addr: b[1] });
      return true;
    }));

  routes.add("POST", "/nacos/v1/raft/change-membership", (req) =>
    guarded(async () => {
      const b = await bodyJson(req);
      if (!Array.isArray(b) || b.length === 0) throw new BadRequest("body must be a non-empty list of voter ids, e.g. [1,2,3]");
      const want = new Set(b.map(nodeId));
      const h = host();
      const conf = h.members();
      const known = new Set([...conf.voters, ...conf.learners].map((m) => m.id));
      for (const id of want) if (!known.has(id)) throw new BadRequest(`node ${id} is not a member; add it with /nacos/v1/raft/joinnode first`);
      // Single-server changes, one at a time: promotions first so the quorum never shrinks below need.
      for (const l of conf.learners) if (want.has(l.id)) await h.changeMembership({ op: "promote", id: l.id });
      for (const m of [...conf.voters, ...conf.learners]) if (!want.has(m.id)) await h.changeMembership({ op: "remove", id: m.id });
      return true;
    }));

  routes.add("GET", "/nacos/v1/raft/metrics", () => {
    const h = host();
    const s = h.status();
    return json(200, {
      id: s.id, state: s.role === "leader" ? "Leader" : s.role === "follower" ? (s.learners.some((l) => l.id === s.id) ? "Learner" : "Follower") : "Candidate",
      current_term: s.term, last_log_index: s.lastLogIndex, last_applied: s.appliedIndex, commit_index: s.commitIndex,
      snapshot_index: s.snapshotIndex, current_leader: s.leader === 0 ? null : s.leader, leader_addr: s.leaderAddr || null,
      membership_config: { members: s.voters.map((m) => m.id), learners: s.learners.map((m) => m.id), nodes: [...s.voters, ...s.learners] },
      replication: s.progress,
    });
  });

  const list = () => {
    const h = host();
    const c = h.members();
    return [...c.voters, ...c.learners].map((m) => nacosMember(m, h));
  };
  routes.add("GET", "/nacos/v1/core/cluster/nodes", () => json(200, { code: 200, message: null, data: list() }));
  routes.add("GET", "/nacos/v2/core/cluster/node/list", () => v2ok(list()));
  routes.add("GET", "/nacos/v1/core/cluster/self", () => {
    const h = host();
    return json(200, { code: 200, message: null, data: nacosMember({ id: h.id, addr: h.status().addr }, h) });
  });
  routes.add("GET", "/nacos/v2/core/cluster/node/self", () => {
    const h = host();
    return v2ok(nacosMember({ id: h.id, addr: h.status().addr }, h));
  });
}
