/** gRPC status codes used on the wire (grpc-status trailer). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** grpc-timeout: up to 8 digits and a unit (H, M, S, m, u, n). Returns ms, or undefined if absent/invalid. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const factor: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
  return n * factor[m[2]];
}

/** grpc-message is percent-encoded (gRPC spec): keep printable ASCII except '%'. */
export function encodeGrpcMessage(msg: string): string {
  return encodeURIComponent(msg).replace(/%20/g, " ").replace(/%2C/g, ",").replace(/%3A/g, ":");
}
