/**
 * Nacos's SwitchDomain (GET/PUT /nacos/v1/ns/operator/switches): the values clients read are real
 * (clientBeatInterval, lightBeatEnabled, pushEnabled...), plus this server's push-protection knobs,
 * which PUT changes at runtime.
 */
import type { PushEngine } from "./push.ts";
import type { PushGuard, PushGuardOptions } from "./push-guard.ts";
import { bad } from "./errors.ts";

export function defaultSwitches(g: PushGuardOptions): Record<string, unknown> {
  return {
    name: "00-00---000-NACOS_SWITCH_DOMAIN-000---00-00",
    masters: null,
    adWeightMap: {},
    defaultPushCacheMillis: 10000,
    clientBeatInterval: 5000,
    defaultCacheMillis: 3000,
    distroThreshold: 0.7,
    healthCheckEnabled: true,
    autoChangeHealthCheckEnabled: true,
    distroEnabled: true,
    enableStandalone: true,
    pushEnabled: true,
    checkTimes: 3,
    httpHealthParams: { max: 5000, min: 500, factor: 0.85 },
    tcpHealthParams: { max: 5000, min: 1000, factor: 0.75 },
    mysqlHealthParams: { max: 3000, min: 2000, factor: 0.65 },
    incrementalList: [],
    serverStatusSynchronizationPeriodMillis: 2000,
    serviceStatusSynchronizationPeriodMillis: 5000,
    disableAddIP: false,
    sendBeatOnly: false,
    lightBeatEnabled: true,
    limitedUrlMap: {},
    distroServerExpiredMillis: 10000,
    pushGoVersion: "0.1.0",
    pushJavaVersion: "0.1.0",
    pushPythonVersion: "0.4.3",
    pushCVersion: "1.0.12",
    pushCSharpVersion: "0.9.0",
    enableAuthentication: false,
    overriddenServerStatus: null,
    defaultInstanceEphemeral: true,
    healthCheckWhiteList: [],
    checksum: null,
    pushEmptyProtection: g.enabled,
    pushProtectWarmupMillis: g.warmupMs,
    pushProtectWindowMillis: g.windowMs,
    pushProtectRatio: g.collapseRatio,
    pushProtectStormConnections: g.stormConnections,
  };
}

const BOOLEAN = new Set(["pushEnabled", "healthCheckEnabled", "lightBeatEnabled", "defaultInstanceEphemeral", "pushEmptyProtection", "distroEnabled", "sendBeatOnly", "disableAddIP"]);
const NUMBER = new Set(["clientBeatInterval", "defaultPushCacheMillis", "defaultCacheMillis", "checkTimes", "pushProtectWarmupMillis", "pushProtectWindowMillis", "pushProtectRatio", "pushProtectStormConnections", "distroThreshold"]);

/** PUT /operator/switches?entry=&value=. Unknown entries are a 400, as Nacos ("update entry not found"). */
export function applySwitch(sw: Record<string, unknown>, guard: PushGuard, _push: PushEngine, entry: string, value: string): void {
  let v: unknown;
  if (BOOLEAN.has(entry)) {
    if (value !== "true" && value !== "false") throw bad(`switch ${entry} needs true or false`);
    v = value === "true";
  } else if (NUMBER.has(entry)) {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw bad(`switch ${entry} needs a non-negative number`);
    if (entry === "pushProtectRatio" && n > 1) throw bad("switch pushProtectRatio must be between 0 and 1");
    v = n;
  } else {
    throw bad(`update entry not found: ${entry}`);
  }
  sw[entry] = v;
  if (entry === "pushEmptyProtection") guard.opts.enabled = v as boolean;
  if (entry === "pushProtectWarmupMillis") guard.opts.warmupMs = v as number;
  if (entry === "pushProtectWindowMillis") guard.opts.windowMs = v as number;
  if (entry === "pushProtectRatio") guard.opts.collapseRatio = v as number;
  if (entry === "pushProtectStormConnections") guard.opts.stormConnections = Math.max(1, Math.floor(v as number));
}
