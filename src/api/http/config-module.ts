/**
 * The config center as a server module: opens the "config" kv store, rebuilds state through the local
 * durable log (the Proposer; Raft replaces it later without touching config code), and plugs the gRPC
 * handlers, HTTP routes, listeners and long polls into the server.
 */
import type { Cancel } from "../../ports/clock.ts";
import type { Kv } from "../../ports/kv.ts";
import type { ModuleContext, ServerModule } from "../../module.ts";
import { LocalLog } from "../../consensus/local-log.ts";
import { ProposalRejected } from "../../consensus/proposer.ts";
import { GrpcListeners } from "../../config/grpc-listeners.ts";
import { HISTORY_RETENTION } from "../../config/history-policy.ts";
import { LongPolls } from "../../config/long-poll.ts";
import type { ConfigCommand, ConfigResult } from "../../config/model.ts";
import { ConfigService } from "../../config/service.ts";
import { ConfigState } from "../../config/state.ts";
import { registerConfigHandlers } from "../grpc/config-handlers.ts";
import { addConfigRoutes } from "./config-routes.ts";
import { addHistoryRoutes } from "./history-routes.ts";
import { addNamespaceRoutes } from "./namespace-routes.ts";

export function createConfigModule(ctx: ModuleContext): ServerModule {
  const log = ctx.log.child("config");
  const state = new ConfigState();
  const listeners = new GrpcListeners(ctx.connections, ctx.platform.timer, log);
  const polls = new LongPolls(ctx.platform.timer);
  state.onChange((key) => {
    listeners.changed(key);
    polls.changed(key);
  });
  let proposer: LocalLog<ConfigCommand, ConfigResult> | undefined;
  let kv: Kv | undefined;
  // Routes and handlers are registered now (the app is built before start) but are reachable only
  // after every module started: the listeners open last.
  const service = new ConfigService({
    state,
    proposer: {
      propose: (cmd) => (proposer ? proposer.propose(cmd) : Promise.reject(new ProposalRejected("config center not started"))),
    },
    clock: ctx.platform.clock,
    store: () => {
      if (!kv) throw new Error("config store not open");
      return kv;
    },
    maxContent: ctx.settings.configMaxContent,
  });
  registerConfigHandlers(ctx.registry, { service, listeners });
  addConfigRoutes(ctx.routes, { service, polls, listeners });
  addHistoryRoutes(ctx.routes, service);
  addNamespaceRoutes(ctx.routes, service, { newId: () => globalThis.crypto.randomUUID() });

  let cancelPrune: Cancel | undefined;
  return {
    name: "config",
    async start() {
      kv = await ctx.kv.open("config");
      // A zero-delay timer as the batch window: concurrent publishes from separate requests share one fsync.
      const p = new LocalLog<ConfigCommand, ConfigResult>(kv, state, log, { defer: (fn) => void ctx.platform.timer.after(0, fn) });
      const report = await p.start();
      proposer = p;
      log.info("config center loaded", {
        configs: state.configs.size, namespaces: state.namespaces.size, historyKeys: state.history.size, ...report,
      });
      cancelPrune = ctx.platform.timer.every(HISTORY_RETENTION.pruneEveryMs, () => {
        service.pruneHistory().catch((e: Error) => log.warn("history prune failed", { error: e }));
      });
    },
    // Held long polls would keep Bun's and Deno's HTTP listeners from closing for up to 29.5 s (they
    // wait for in-flight requests): answer them as "no change" when shutdown begins.
    drain() {
      polls.releaseAll();
    },
    async stop() {
      cancelPrune?.();
      polls.releaseAll();
      listeners.stop();
      await proposer?.stop();
      await kv?.close();
    },
  };
}
