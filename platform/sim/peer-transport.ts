/**
 * PeerTransport on the simulated network, so cluster simulations run the real Raft host. Node names
 * on the SimNet are member addresses. A crashed incarnation is `kill()`ed: it neither sends nor
 * receives again, even from continuations still pending when it died.
 *
 * A reply names the transport instance that made the call, not only the call's number: a restarted
 * node numbers its calls from 1 again, and a reply the leader sends late to the crashed incarnation
 * must not answer the new incarnation's call of the same number (it once acknowledged a forwarded
 * write that was never proposed, with another write's result; soak seed 700014982). Over HTTP/2 a
 * reply travels on the calling stream, which dies with its process.
 */
import { type CallHandler, type PeerTransport, type RaftHandler, UNKNOWN_CALL } from "../../src/cluster/transport.ts";
import type { Timer } from "../../src/ports/clock.ts";
import type { Member, Message } from "../../src/raft/types.ts";
import type { SimNet } from "./net.ts";

export type SimPeerMsg =
  | { kind: "raft"; msgs: Message[] }
  | { kind: "call"; caller: number; id: number; method: string; body: Uint8Array; fromId: number }
  | { kind: "reply"; caller: number; id: number; ok: boolean; body: Uint8Array; error: string };

/** Numbers every transport instance of the process (every incarnation of every simulated node). */
let instances = 0;

export class SimPeerTransport implements PeerTransport {
  #dead = false;
  readonly #instance = ++instances;
  #seq = 0;
  #raft: RaftHandler | undefined;
  readonly #calls = new Map<string, CallHandler>();
  readonly #waiting = new Map<number, { resolve(b: Uint8Array): void; reject(e: Error): void; cancel(): void }>();
  readonly #net: SimNet<SimPeerMsg>;
  readonly #addr: string;
  readonly #id: number;
  readonly #timer: Timer;

  constructor(net: SimNet<SimPeerMsg>, addr: string, id: number, timer: Timer) {
    this.#net = net;
    this.#addr = addr;
    this.#id = id;
    this.#timer = timer;
    net.register(addr, (m, from) => this.#receive(m, from));
  }

  sendRaft(to: Member, msgs: Message[]): void {
    if (!this.#dead) this.#net.send(this.#addr, to.addr, { kind: "raft", msgs });
  }

  call(to: Member, method: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.#dead) return Promise.reject(new Error("transport closed"));
    const id = ++this.#seq;
    return new Promise((resolve, reject) => {
      const cancel = this.#timer.after(timeoutMs, () => {
        this.#waiting.delete(id);
        reject(new Error(`call ${method} to ${to.addr} timed out`));
      });
      this.#waiting.set(id, { resolve, reject, cancel });
      this.#net.send(this.#addr, to.addr, { kind: "call", caller: this.#instance, id, method, body, fromId: this.#id });
    });
  }

  onRaft(fn: RaftHandler): void {
    this.#raft = fn;
  }

  onCall(method: string, fn: CallHandler): void {
    this.#calls.set(method, fn);
  }

  kill(): void {
    this.#dead = true;
    for (const w of this.#waiting.values()) w.cancel();
    this.#waiting.clear();
  }

  close(): Promise<void> {
    this.kill();
    return Promise.resolve();
  }

  #receive(m: SimPeerMsg, from: string): void {
    if (this.#dead) return;
    if (m.kind === "raft") return this.#raft?.(m.msgs, from);
    if (m.kind === "reply") {
      if (m.caller !== this.#instance) return; // meant for an earlier incarnation of this node
      const w = this.#waiting.get(m.id);
      if (!w) return;
      this.#waiting.delete(m.id);
      w.cancel();
      if (m.ok) w.resolve(m.body);
      else w.reject(new Error(m.error));
      return;
    }
    const h = this.#calls.get(m.method);
    const reply = (ok: boolean, body: Uint8Array, error: string) => {
      if (!this.#dead) this.#net.send(this.#addr, from, { kind: "reply", caller: m.caller, id: m.id, ok, body, error });
    };
    if (!h) return reply(false, new Uint8Array(0), `${UNKNOWN_CALL} ${m.method}`);
    h(m.body, m.fromId).then((b) => reply(true, b, ""), (e: Error) => reply(false, new Uint8Array(0), e.message));
  }
}
