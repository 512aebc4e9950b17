/**
 * The config center as a server module: registers the config state machine with the one Raft log,
 * and plugs the gRPC handlers, HTTP routes, listeners and long polls into the server. Listeners and
 * long polls are told of changes by the state machine's committed() step, which runs on every node.
 */
import type { Cancel } from "../../ports/clock.ts";
import type { ModuleContext, ServerModule } from "../../module.ts";
import { GrpcListeners } from "../../config/grpc-listeners.ts";
import { HISTORY_RETENTION } from "../../config/history-policy.ts";
import { LongPolls } from "../../config/long-poll.ts";
import type { ConfigCommand, ConfigResult } from "../../config/model.ts";
import { ConfigService } from "../../config/service.ts";
import { ConfigState } from "../../config/state.ts";
import { REPAIR_HINT, reportDamage } from "../../storage/damage.ts";
import { registerConfigHandlers } from "../grpc/config-handlers.ts";
import { addConfigRoutes } from "./config-routes.ts";
import { addHistoryRoutes } from "./history-routes.ts";
import { addNamespaceRoutes } from "./namespace-routes.ts";
import { collectConfigMetrics } from "./config-metrics.ts";

export function createConfigModule(ctx: ModuleContext): ServerModule {
  const log = ctx.log.child("config");
  const state = new ConfigState();
  const listeners = new GrpcListeners(ctx.connections, ctx.platform.timer, log);
  const polls = new LongPolls(ctx.platform.timer, ctx.settings.configMaxLongPolls);
  state.onChange((key) => {
    listeners.changed(key);
    polls.changed(key);
  });
  state.onDamaged((rows) => {
    // Withheld, not served: a client asking gets "not found" rather than wrong content under the old md5.
    for (const r of rows.slice(0, 50)) {
      reportDamage(log, r.reason, "config withheld: its stored row is damaged", { file: r.file, key: r.key, problem: r.detail });
    }
    log.error("config center: damaged config rows are not served", { count: rows.length, file: rows[0].file, hint: REPAIR_HINT });
  });
  ctx.replication.register("config", state);
  if (ctx.settings.enableMetrics) collectConfigMetrics({ state, polls, listeners });
  const service = new ConfigService({
    state,
    proposer: ctx.replication.proposer<ConfigCommand, ConfigResult>("config"),
    clock: ctx.platform.clock,
    store: () => ctx.replication.store(),
    maxContent: ctx.settings.configMaxContent,
    readBarrier: () => ctx.replication.readBarrier(),
  });
  registerConfigHandlers(ctx.registry, { service, listeners });
  addConfigRoutes(ctx.routes, { service, polls, listeners, log });
  addHistoryRoutes(ctx.routes, service, { maxAnswerBytes: ctx.settings.historyMaxAnswerBytes, log });
  addNamespaceRoutes(ctx.routes, service, { newId: () => globalThis.crypto.randomUUID() }, ctx.access);

  let cancelPrune: Cancel | undefined;
  return {
    name: "config",
    start() {
      log.info("config center loaded", { configs: state.configs.size, namespaces: state.namespaces.size, historyKeys: state.history.size });
      cancelPrune = ctx.platform.timer.every(HISTORY_RETENTION.pruneEveryMs, () => {
        // One node prunes for all: the prune is a replicated command like any other write.
        if (!ctx.replication.isLeader()) return;
        service.pruneHistory().catch((e: Error) => log.warn("history prune failed", { error: e }));
      });
      return Promise.resolve();
    },
    // Held long polls would keep Bun's and Deno's HTTP listeners from closing for up to 29.5 s (they
    // wait for in-flight requests): answer them as "no change" when shutdown begins.
    drain() {
      polls.releaseAll();
    },
    stop() {
      cancelPrune?.();
      polls.releaseAll();
      listeners.stop();
      return Promise.resolve();
    },
  };
}
