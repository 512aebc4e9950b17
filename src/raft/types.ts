/**
 * The vocabulary of the sans-I/O Raft core (after etcd-raft): log entries, persistent hard state,
 * membership, snapshots' metadata and the messages peers exchange. Plain data: the host persists and
 * sends these; the transport encodes them (proto/cluster.proto). Node ids are positive integers
 * (RNACOS_RAFT_NODE_ID); 0 means "none".
 */

export type NodeId = number;

export type EntryType = "normal" | "conf";

export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  /**
   * A normal entry's command (JSON text; "" is the leader's no-op that commits its term), or a conf
   * entry's ConfChange as JSON.
   */
  data: string;
}

/** What must be on disk before a message that depends on it is sent (Raft paper, Figure 2). */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface Member {
  id: NodeId;
  /** host:port of the node's gRPC port (RNACOS_RAFT_NODE_ADDR). */
  addr: string;
}

/** The cluster's membership: voters decide elections and commits; learners only receive the log. */
export interface ConfState {
  voters: Member[];
  learners: Member[];
}

export type ConfChange =
  /** Only the first entry of a new cluster (RNACOS_RAFT_AUTO_INIT): the founding voter. */
  | { op: "bootstrap"; id: NodeId; addr: string }
  | { op: "addLearner"; id: NodeId; addr: string }
  | { op: "promote"; id: NodeId }
  | { op: "remove"; id: NodeId };

/** The point a snapshot stands for: the state after applying every entry up to `index`. */
export interface SnapshotMeta {
  index: number;
  term: number;
  conf: ConfState;
}

export type MessageType =
  | "preVote" // a would-be candidate asks whether it could win, without bumping terms
  | "preVoteResp"
  | "vote"
  | "voteResp"
  | "append" // AppendEntries; an empty one is a heartbeat's sibling carrying the commit index
  | "appendResp"
  | "heartbeat"
  | "heartbeatResp"
  | "snapshot" // InstallSnapshot: the host streams the data in chunks and steps this when whole
  | "snapshotStatus" // local only: the host reports a finished or failed snapshot send
  | "readIndex" // a follower forwards a ReadIndex request to the leader
  | "readIndexResp"
  | "timeoutNow" // leader transfer: start an election now, skipping pre-vote
  | "transferLeader"; // local or forwarded: ask the leader to hand leadership to `from`

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** append: index of the entry before `entries`; appendResp: the follower's last index (or hint). */
  logTerm: number;
  index: number;
  entries: Entry[];
  /** append/heartbeat: the leader's commit index. */
  commit: number;
  /** appendResp/voteResp/preVoteResp/snapshotStatus: refusal. */
  reject: boolean;
  /** appendResp on reject: the follower's last index, so the leader skips back quickly. */
  rejectHint: number;
  /** snapshot: what the streamed data stands for. */
  snapshot?: SnapshotMeta;
  /** heartbeat/readIndex: a ReadIndex request id carried through the round. "" when none. */
  context: string;
}

/** A ReadIndex round finished: reads issued under `requestId` may be served once applied >= index. */
export interface ReadState {
  requestId: string;
  index: number;
}

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

export interface SoftState {
  leader: NodeId;
  role: Role;
}

/** Everything the host must do, in this order: persist, send, apply, then call advance(). */
export interface Ready {
  /** Set when term, vote or commit changed. */
  hardState?: HardState;
  /** Entries to append to the stable log; they replace any stored entries at or after entries[0].index. */
  entries: Entry[];
  /** A snapshot the node accepted from its leader: replace the state machine and the log with it. */
  snapshot?: SnapshotMeta;
  /** Messages to send after the above is durable. */
  messages: Message[];
  /** Entries now committed and not yet handed out, in order, to apply to the state machine. */
  committed: Entry[];
  readStates: ReadState[];
  /** Set when the leader or role changed. */
  softState?: SoftState;
}

export function emptyMessage(type: MessageType, from: NodeId, to: NodeId, term: number): Message {
  return { type, from, to, term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: "" };
}
