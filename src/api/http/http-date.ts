/**
 * `Last-Modified` dates (RFC 7231 IMF-fixdate) for served configs. Formatting a Date was 2.5% of a
 * config get's CPU; a config's timestamp changes only when it is published, so the strings are kept.
 */
const MAX_CACHED = 4_096;
const cache = new Map<number, string>();

export function httpDate(ms: number): string {
  let s = cache.get(ms);
  if (s === undefined) {
    s = new Date(ms).toUTCString();
    if (cache.size >= MAX_CACHED) cache.clear(); // bounded; refilled by the configs being read
    cache.set(ms, s);
  }
  return s;
}
