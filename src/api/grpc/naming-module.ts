/**
 * The registry module (issue 4): builds the naming core on the module context and plugs in its faces:
 * gRPC handlers, HTTP v1/v2 routes, pushes over connections, beat expiry and persistent-instance probes.
 * Lives beside the gRPC handlers because it wires api/ to naming/ (naming/ never imports api/).
 */
import { checkBeats, beatCheckPeriodMs } from "../../naming/beat-health.ts";
import { NamingService } from "../../naming/naming-service.ts";
import { PersistentState } from "../../naming/persistent-state.ts";
import { DEFAULT_PROBE, ProbeHealth } from "../../naming/probe-health.ts";
import { NamingError } from "../../naming/errors.ts";
import { NamingStateMachine } from "../../naming/persistent-machine.ts";
import type { ApplyResult, NamingCommand } from "../../naming/persistent-state.ts";
import { DEFAULT_PUSH, PushEngine, type PushTransport } from "../../naming/push.ts";
import { UdpPusher } from "../../naming/udp-push.ts";
import { PushGuard, type PushGuardOptions } from "../../naming/push-guard.ts";
import type { NamingRuntime } from "../../naming/runtime.ts";
import { defaultSwitches } from "../../naming/switches.ts";
import type { Cancel } from "../../ports/clock.ts";
import type { ModuleContext, ServerModule } from "../../module.ts";
import { addPrometheusSdRoutes } from "../http/prometheus-sd-routes.ts";
import { addNamingRoutes } from "../http/naming-routes.ts";
import { createNamingForwarder } from "../http/naming-forward.ts";
import { DistroHost } from "../../cluster/distro-host.ts";
import { registerNamingHandlers } from "./naming-handlers.ts";
import { collectNamingMetrics } from "./naming-metrics.ts";
import { MetadataKeeper } from "../../naming/metadata-keeper.ts";

/**
 * Optional settings the registry honours when settings.ts provides them (env names in the comment);
 * until then the defaults apply and the values can be changed at runtime with
 * PUT /nacos/v1/ns/operator/switches (entries pushEmptyProtection, pushProtectWarmupMillis, ...).
 */
export function createNamingModule(ctx: ModuleContext): ServerModule {
  const { platform, settings, connections } = ctx;
  const log = ctx.log.child("naming");
  const guardOpts: PushGuardOptions = {
    enabled: settings.namingPushEmptyProtection,
    warmupMs: settings.namingPushProtectWarmupSec * 1000,
    windowMs: settings.namingPushProtectWindowSec * 1000,
    collapseRatio: settings.namingPushProtectRatio,
    stormConnections: settings.namingPushProtectStormConnections,
  };

  const persistent = new PersistentState();
  const replicated = ctx.replication.proposer<NamingCommand, ApplyResult>("naming");
  const proposer = {
    async propose(cmd: NamingCommand): Promise<ApplyResult> {
      try {
        return await replicated.propose(cmd);
      } catch (e) {
        // Not committed: an error in Nacos's format, never a success.
        throw new NamingError(500, (e as Error).message);
      }
    },
  };

  const naming = new NamingService({
    clock: platform.clock, log, proposer, persistent, selfId: settings.raftNodeId,
    timing: { beatTimeoutMs: settings.namingHealthTimeoutSec * 1000, deleteTimeoutMs: settings.namingInstanceTimeoutSec * 1000 },
    rememberRegisteredMetadata: settings.namingInstanceMetadataPersistence,
  });
  const metadataKeeper = new MetadataKeeper(naming, ctx.kv, platform.timer, log, settings.namingInstanceMetadataPersistence);
  // Subscribers hear of persistent changes where they are applied: on every node.
  ctx.replication.register("naming", new NamingStateMachine(persistent, (key) => naming.changed(key, "update")));
  const guard = new PushGuard(guardOpts, platform.clock.monotonic());
  const udpPusher = new UdpPusher({ clock: platform.clock, timer: platform.timer, log: log.child("udp") });
  const transport: PushTransport = {
    grpc(connectionId, body, timeoutMs) {
      const conn = connections.get(connectionId);
      if (!conn || !conn.registered) return Promise.reject(new Error(`connection ${connectionId} is gone`));
      return connections.push(conn, "NotifySubscriberRequest", body, timeoutMs);
    },
    alive(sub) {
      if (sub.kind === "grpc") return connections.get(sub.id)?.registered === true;
      return naming.subscribers.of(sub.serviceKey).some((s) => s.id === sub.id);
    },
    udp(sub, info, timeoutMs) {
      return udpPusher.push(sub.ip ?? "", sub.port ?? 0, info, timeoutMs);
    },
  };
  const push = new PushEngine({ naming, clock: platform.clock, timer: platform.timer, log, transport, guard },
    { ...DEFAULT_PUSH, delayMs: settings.namingPushDelayMs });
  const rt: NamingRuntime = {
    naming, push, guard, clock: platform.clock, log, switches: defaultSwitches(guardOpts), udpEnabled: false,
  };

  naming.remoteDisconnect = () => guard.connectionLost(platform.clock.monotonic());
  connections.onDisconnected((conn) => {
    guard.connectionLost(platform.clock.monotonic());
    naming.removeClient(conn.id, "disconnected");
  });
  // The ephemeral registry across nodes (a lone node runs it too, with no peers: it owns everything).
  let raftStarted = false;
  const distro = new DistroHost({
    selfId: settings.raftNodeId, naming, transport: ctx.peers, timer: platform.timer, log: log.child("distro"),
    members: () => {
      if (!raftStarted) return [];
      const conf = ctx.replication.host().members();
      return [...conf.voters, ...conf.learners];
    },
    timing: {
      syncDelayMs: settings.distroSyncDelayMs, memberExpiryMs: settings.distroMemberExpiryMs, graceMs: settings.distroGraceMs,
      protectMs: settings.distroProtectMs,
    },
  });
  if (settings.enableMetrics) {
    distro.collectMetrics();
    collectNamingMetrics(rt);
  }
  ctx.readiness.push(() => (distro.isReady() ? undefined : "the registry is still loading its snapshot from the other nodes"));
  registerNamingHandlers(ctx.registry, rt);
  addNamingRoutes(ctx.routes, rt, createNamingForwarder(rt, distro, ctx.peers, log));
  addPrometheusSdRoutes(ctx.routes, naming);

  const probe = platform.probe
    ? new ProbeHealth({ naming, probe: platform.probe, timer: platform.timer, log },
      { ...DEFAULT_PROBE, intervalMs: settings.namingPerpetualProbeIntervalSec * 1000 })
    : undefined;
  let cancelBeats: Cancel | undefined;

  return {
    name: "naming",
    async start() {
      if (platform.udp) {
        // Any free port: 1.x clients answer to the datagram's source address.
        udpPusher.attach(await platform.udp.bind(settings.sdkHost, 0, (d, from) => udpPusher.onDatagram(d, from)));
        rt.udpEnabled = true;
      }
      const n = [...persistent.keys()].length;
      raftStarted = true;
      distro.start();
      guard.restart(platform.clock.monotonic());
      await metadataKeeper.start();
      cancelBeats = platform.timer.every(beatCheckPeriodMs(naming.timing.beatTimeoutMs), () => checkBeats(naming, platform.clock.monotonic(), log));
      probe?.start();
      if (!probe) log.warn("no probe port on this platform: persistent instances are not health-checked");
      log.info("registry started", { persistentServices: n, pushProtection: guardOpts.enabled, warmupMs: guardOpts.warmupMs });
    },
    // Before the listeners close and with them the SDK connections: see Distro.leave.
    drain() {
      distro.leave();
    },
    async stop() {
      distro.stop();
      cancelBeats?.();
      probe?.stop();
      push.stop();
      await Promise.all([udpPusher.close(), metadataKeeper.stop()]);
    },
  };
}
