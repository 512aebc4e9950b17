/** Every queue and buffer has a bound; the bounds live here so they are reviewed together. */
export const LIMITS = {
  /** gRPC: largest message accepted or sent (Nacos: 10 MiB inbound on both sides). */
  grpcMaxMessageBytes: 10 * 1024 * 1024,
  /** gRPC: pushes awaiting an ack on one connection before new pushes are refused. */
  grpcPendingPushesPerConnection: 1024,
  /** gRPC: concurrent connections per node (Nacos has a configurable limit; rnacos none). */
  grpcMaxConnections: 100_000,
  /** HTTP (one-port mode): a request's headers must be in within this of its first byte (Node's headersTimeout). */
  httpHeadersTimeoutMs: 60_000,
  /** HTTP: largest request body (a 10 MiB config form-encoded can grow ~3x). */
  httpMaxBodyBytes: 32 * 1024 * 1024,
  /** Config import and clone: most configs in one request. */
  configTransferMaxEntries: 5_000,
  /** Config import: most bytes of uncompressed zip entries in one request. */
  configImportMaxBytes: 64 * 1024 * 1024,
  /** Restore into a running cluster: most bytes of state rows one restore stages (held in memory on every node until it commits). */
  restoreMaxBytes: 64 * 1024 * 1024,
  /** Restore into a running cluster: rows per Raft entry, at most about this many bytes (a snapshot chunk is 1 MiB). */
  restoreChunkBytes: 512 * 1024,
  /** Imports (rnacos transfer file, Nacos MySQL dump): most records read from one file. */
  migrationMaxRecords: 500_000,
  /** Env file size we are willing to parse. */
  envFileMaxBytes: 1024 * 1024,
} as const;
