/**
 * Active health probes for persistent registry instances: can we open a TCP connection, what status
 * does an HTTP GET answer. Never throws: an unreachable target is a `false` / `0`, and every probe ends
 * within its timeout.
 */
export interface Probe {
  /** True when a TCP connection to host:port opens within `timeoutMs` (it is closed at once). */
  connect(host: string, port: number, timeoutMs: number): Promise<boolean>;
  /** The HTTP status of a GET to `url` within `timeoutMs`, or 0 when there was no answer. */
  httpStatus(url: string, timeoutMs: number, headers?: Record<string, string>): Promise<number>;
}
