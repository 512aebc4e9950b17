/** How much history is kept. Nacos keeps 30 days; a per-key cap also bounds a key that is rewritten in a loop. */
export const HISTORY_RETENTION = {
  maxAgeMs: 30 * 24 * 3600 * 1000,
  maxRowsPerKey: 100,
  /** How often the module proposes an age prune (rows of keys nobody writes age out too). */
  pruneEveryMs: 3600 * 1000,
} as const;

/** At most this many gray versions (beta + tags) per config, as nacos.config.gray.version.max.count. */
export const MAX_GRAYS_PER_CONFIG = 10;
