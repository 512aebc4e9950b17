/**
 * One-port mode (TNACOS_ONE_PORT): the HTTP port also carries gRPC and the console, for deployments
 * that expose a single port (a proxy, an ingress). The platform tells the protocols apart per
 * connection (Net.serveOnePort); this decides what each half reaches, always through the pipelines
 * the dedicated ports use: HTTP/2 sessions go to the one GrpcServer, HTTP/1.1 requests on console paths
 * to the console handler (its guard, routes and UI), every other request to the OpenAPI app.
 */
import type { H2Listener, HttpHandler, Net } from "../ports/net.ts";
import type { Log } from "../ports/log.ts";
import type { Clock } from "../ports/clock.ts";
import { metrics } from "../lib/metrics.ts";
import { atMostEvery } from "../lib/throttle.ts";
import { isConsolePath } from "../console/listener.ts";
import { pathOf } from "./http/request-view.ts";
import type { GrpcServer } from "./grpc/server.ts";

const refused = metrics.counter("tnacos_one_port_refused_total", "One-port connections closed before a server took them, whose request headers took too long (408), or that sent bytes no HTTP/1.1 parser accepts (400), by reason");

/**
 * What the one port's HTTP/1.1 half answers: the console's paths (its UI at `/` and its bundle's files,
 * its API under `/api/console/v1`) to the console when it is on, the rest to the OpenAPI. No OpenAPI
 * route lives on those paths (the OpenAPI is under /nacos, /rnacos, /health and /metrics).
 */
export function onePortHandler(openApi: HttpHandler, console: HttpHandler | undefined): HttpHandler {
  if (!console) return openApi;
  return (req) => (isConsolePath(pathOf(req.url)) ? console(req) : openApi(req));
}

export interface OnePortOptions {
  net: Net;
  log: Log;
  clock: Clock;
  host: string;
  port: number;
  handler: HttpHandler;
  maxBodyBytes: number;
  grpc: GrpcServer;
  /** A connection that sends none of its first bytes within this is closed (TNACOS_GRPC_SETUP_TIMEOUT_MS). */
  peekTimeoutMs: number;
  /** Connections still being told apart at once (TNACOS_GRPC_MAX_CONNECTIONS). */
  maxPeeking: number;
  /** An HTTP/1.1 request's headers must be in within this of its first byte (LIMITS.httpHeadersTimeoutMs). */
  headersTimeoutMs: number;
}

export function serveOnePort(o: OnePortOptions): Promise<H2Listener> {
  // One gate per reason: a flood of one kind must not hide the first line of another.
  const gate = () => atMostEvery(1000, () => o.clock.monotonic());
  const gates = { peek_timeout: gate(), too_many_peeking: gate(), headers_timeout: gate(), bad_request: gate() };
  return o.net.serveOnePort({
    host: o.host, port: o.port,
    http: { handler: o.handler, maxBodyBytes: o.maxBodyBytes },
    h2: o.grpc.h2Options(),
    peekTimeoutMs: o.peekTimeoutMs,
    maxPeeking: o.maxPeeking,
    headersTimeoutMs: o.headersTimeoutMs,
    onRefused: (reason, remote) => {
      refused.inc({ reason });
      if (!gates[reason]()) return;
      o.log.warn(
        reason === "peek_timeout" ? `one-port connection closed: no first bytes telling HTTP/1.1 from HTTP/2 within ${o.peekTimeoutMs} ms (TNACOS_GRPC_SETUP_TIMEOUT_MS)`
        : reason === "too_many_peeking" ? `one-port connection refused: ${o.maxPeeking} connections already opening (TNACOS_GRPC_MAX_CONNECTIONS)`
        : reason === "headers_timeout" ? `one-port connection answered 408: request headers not complete within ${o.headersTimeoutMs} ms`
        : "one-port connection answered 400: neither the HTTP/2 preface nor an HTTP/1.1 request",
        { remote },
      );
    },
  });
}
