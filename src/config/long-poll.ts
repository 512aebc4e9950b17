/**
 * HTTP long polling (`POST /nacos/v1/cs/configs/listener`, used by Java 1.x and the Node SDK): a poll
 * whose keys are all up to date is held until one of them changes or its hold time ends
 * (nacos-protocol.md §4.2). The number of held polls is bounded; the caller refuses beyond it.
 */
import type { Cancel, Timer } from "../ports/clock.ts";
import { keyString } from "./keys.ts";
import type { ConfigKey } from "./model.ts";

export interface PolledKey {
  key: ConfigKey;
  /** The client's own line for this key (dataId␂group[␂tenant]), answered back verbatim. */
  echo: string;
  md5: string;
}

interface HeldPoll {
  id: number;
  keys: PolledKey[];
  clientIp: string;
  finish(changed: string[]): void;
  cancel: Cancel;
}

export const LONG_POLL_LIMITS = {
  /** Default of TNACOS_CONFIG_MAX_LONG_POLLS. */
  maxHeld: 10_000,
  /** Keys in one poll (Nacos: more than 10000 → 400 "invalid probeModify"). */
  maxKeys: 10_000,
  minHoldMs: 10_000,
  /** rnacos clamps the client timeout to 120 s; so do we. */
  maxHoldMs: 120_000,
} as const;

/** Nacos: hold max(10 s, timeout − 500 ms); clamped so a huge header cannot pin a request for hours. */
export function holdMs(timeoutHeader: number): number {
  return Math.min(LONG_POLL_LIMITS.maxHoldMs, Math.max(LONG_POLL_LIMITS.minHoldMs, timeoutHeader - 500));
}

export class LongPolls {
  private readonly held = new Map<number, HeldPoll>();
  private readonly byKey = new Map<string, Set<number>>();
  private readonly timer: Timer;
  private nextId = 0;
  private draining = false;
  private readonly maxHeld: number;

  constructor(timer: Timer, maxHeld: number = LONG_POLL_LIMITS.maxHeld) {
    this.timer = timer;
    this.maxHeld = maxHeld;
  }

  get size(): number {
    return this.held.size;
  }

  /**
   * Holds a poll; resolves with the changed keys' lines (empty on timeout). Undefined when full.
   * `gone` aborts when the client disconnects: its slot is freed at once, not at the end of its hold.
   */
  hold(keys: PolledKey[], ms: number, clientIp: string, gone?: AbortSignal): Promise<string[]> | undefined {
    if (this.draining || gone?.aborted) return Promise.resolve([]);
    if (this.held.size >= this.maxHeld) return undefined;
    const id = ++this.nextId;
    return new Promise<string[]>((resolve) => {
      const poll: HeldPoll = {
        id, keys, clientIp,
        finish: (changed) => {
          if (!this.held.delete(id)) return;
          poll.cancel();
          gone?.removeEventListener("abort", onGone);
          for (const k of keys) {
            const ck = keyString(k.key);
            const s = this.byKey.get(ck);
            s?.delete(id);
            if (s?.size === 0) this.byKey.delete(ck);
          }
          resolve(changed);
        },
        cancel: () => {},
      };
      this.held.set(id, poll);
      for (const k of keys) {
        const ck = keyString(k.key);
        let s = this.byKey.get(ck);
        if (!s) this.byKey.set(ck, (s = new Set()));
        s.add(id);
      }
      poll.cancel = this.timer.after(ms, () => poll.finish([]));
      const onGone = () => poll.finish([]);
      gone?.addEventListener("abort", onGone, { once: true });
    });
  }

  /** A config changed: answer every poll holding it with that key. */
  changed(key: ConfigKey): void {
    const ck = keyString(key);
    const ids = this.byKey.get(ck);
    if (!ids) return;
    for (const id of [...ids]) {
      const poll = this.held.get(id);
      if (!poll) continue;
      poll.finish(poll.keys.filter((k) => keyString(k.key) === ck).map((k) => k.echo));
    }
  }

  /** Client IP → md5 of held polls on a key. */
  listenersOf(key: ConfigKey): { clientIp: string; md5: string }[] {
    const out: { clientIp: string; md5: string }[] = [];
    const ck = keyString(key);
    for (const id of this.byKey.get(ck) ?? []) {
      const p = this.held.get(id);
      const k = p?.keys.find((x) => keyString(x.key) === ck);
      if (p && k) out.push({ clientIp: p.clientIp, md5: k.md5 });
    }
    return out;
  }

  keysOfIp(ip: string): { key: ConfigKey; md5: string }[] {
    const out: { key: ConfigKey; md5: string }[] = [];
    for (const p of this.held.values()) if (p.clientIp === ip) for (const k of p.keys) out.push({ key: k.key, md5: k.md5 });
    return out;
  }

  /** Answers every held poll with "nothing changed", and every later one at once (shutdown). */
  releaseAll(): void {
    this.draining = true;
    for (const p of [...this.held.values()]) p.finish([]);
  }
}
