/**
 * Everything the registry's faces (gRPC handlers, HTTP routes) share: the service, the push engine and
 * its guard, the runtime switches and the clock. Built once by the naming module.
 */
import type { Clock } from "../ports/clock.ts";
import type { Log } from "../ports/log.ts";
import type { NamingService } from "./naming-service.ts";
import type { PushEngine } from "./push.ts";
import type { PushGuard } from "./push-guard.ts";
import type { Subscriber } from "./subscribers.ts";
import type { ServiceId } from "./model.ts";
import { serviceKey } from "./model.ts";

export interface NamingRuntime {
  naming: NamingService;
  push: PushEngine;
  guard: PushGuard;
  clock: Clock;
  log: Log;
  /** Nacos SwitchDomain values this server honours (and a few of its own, for push protection). */
  switches: Record<string, unknown>;
  /** Whether a UDP push socket exists (1.x subscriptions are recorded either way). */
  udpEnabled: boolean;
}

/**
 * Records a subscription and answers the subscriber's current view. During warm-up an empty view goes
 * out without `hosts`, so a reconnecting client keeps its cached list (push-guard.ts).
 */
export function subscribeAndAnswer(rt: NamingRuntime, sub: Subscriber, svc: ServiceId, groupedName: boolean): Record<string, unknown> {
  const { naming, push, guard, clock } = rt;
  const key = serviceKey(svc);
  naming.subscribers.add(sub);
  const info = naming.serviceInfo(svc, { clusters: sub.clusters, healthyOnly: false, groupedName });
  const hosts = info.hosts as unknown[];
  push.subscribed(key, naming.select(key, [], false).hosts.length);
  if (hosts.length === 0 && guard.inWarmup(clock.monotonic())) {
    push.metrics.protectedSubscribeAnswers++;
    delete info.hosts;
    info.valid = false;
  }
  return info;
}
