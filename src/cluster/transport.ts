/**
 * How cluster hosts reach each other. Two kinds of traffic: Raft messages (fire-and-forget, batched;
 * Raft retries whatever is lost) and calls (request/response: forwarded writes, ReadIndex from a
 * follower host, snapshot chunks, joins). The real implementation runs on the gRPC port
 * (peer-transport.ts); simulations use one on the sim network. Hosts see only this interface.
 */
import type { Member, Message, NodeId } from "../raft/types.ts";

/**
 * A call that never left this node (no link to the peer): safe to retry elsewhere, unlike a call that
 * failed after it was sent, whose effect is unknown.
 */
export class PeerUnreachable extends Error {
  override name = "PeerUnreachable";
}

/** The peer's answer when it is not (or no longer) the leader: nothing was proposed, so retrying is safe. */
export const NOT_LEADER = "not the leader";

/**
 * How a transport refuses a call that has no handler (a peer of an earlier version): the message
 * starts with this and names the method, so a caller can fall back to an older call.
 */
export const UNKNOWN_CALL = "unknown peer call";

/**
 * `fromAddr`: the address the sending node advertises for itself ("" when the transport cannot tell),
 * so a node that knows no membership yet (a learner restarted with an empty store) can still answer.
 */
export type RaftHandler = (msgs: Message[], fromAddr: string) => void;
/** Answers a call; a rejection travels back to the caller as an Error with the same message. */
export type CallHandler = (body: Uint8Array, from: NodeId) => Promise<Uint8Array>;

export interface PeerTransport {
  /** Queues messages for `to`. Never blocks and never throws: a full queue or a dead link drops them. */
  sendRaft(to: Member, msgs: Message[]): void;
  /** One request/response to a peer. Rejects on timeout, on a dead link, or with the handler's error. */
  call(to: Member, method: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  onRaft(fn: RaftHandler): void;
  onCall(method: string, fn: CallHandler): void;
  /** Drops queued messages and closes every link. */
  close(): Promise<void>;
}
