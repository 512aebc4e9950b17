/**
 * Who writes the HTTP (beat) clients of a service: `hash(service key) % live members`, over the members
 * sorted by id, so every node that sees the same live set picks the same owner without asking anyone.
 */
import { assert } from "../lib/assert.ts";

/** FNV-1a of the key: stable across runtimes and versions (a changed hash would move every owner). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** `ring`: the live members, sorted ascending. */
export function ownerOf(serviceKey: string, ring: readonly number[]): number {
  assert(ring.length > 0, "an ownership ring is never empty (it holds this node)");
  return ring[fnv1a(serviceKey) % ring.length];
}
