/**
 * A naming subscriber that stops reading its stream (while still sending HealthCheck) is not sent one
 * push per merge window: at most one push per service waits for its answer, and when it reads again it
 * gets the newest instance list in a push or two, not every state in between.
 */
import * as http2 from "node:http2";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FrameDecoder } from "../../src/api/grpc/frame.ts";
import { decodePayload, type NacosMessage } from "../../src/api/grpc/payload.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { GRPC_REQUEST as GRPC, payloadFrame as frame, rawUnary as unary } from "../support/raw-grpc.ts";
import { http, NAMING_SETUP, until } from "./naming-support.ts";

const SERVICE = { namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "slow-sub" };
const CHANGES = 30;

const t = suite<{ srv: ServerProcess }>("naming slow subscriber");
t.before(async (ctx) => {
  // A short merge window, so the stall below spans many of them.
  ctx.srv = await startServerProcess({ TNACOS_NAMING_PUSH_DELAY_MS: "50" });
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("a subscriber that stops reading catches up with the newest state in at most a few pushes", async ({ srv }) => {
  // A tiny receive window: what the client does not read queues on the server.
  const session = http2.connect(`http://127.0.0.1:${srv.grpcPort}`, { settings: { initialWindowSize: 1024 } });
  session.on("error", () => undefined);
  try {
    await unary(session, "ServerCheckRequest", { module: "internal" });
    const bi = session.request({ ...GRPC, ":path": "/BiRequestStream/requestBiStream" });
    bi.on("error", () => undefined);
    const pushes: NacosMessage[] = [];
    const decoder = new FrameDecoder(10 * 1024 * 1024);
    let setUp = false;
    bi.on("data", (chunk: Uint8Array) => {
      for (const f of decoder.push(chunk)) {
        const m = decodePayload(f);
        if (m.type === "SetupAckRequest") setUp = true;
        if (m.type !== "NotifySubscriberRequest") continue;
        pushes.push(m);
        bi.write(frame("NotifySubscriberResponse", { resultCode: 200, errorCode: 0, success: true, requestId: m.body.requestId }));
      }
    });
    bi.write(frame("ConnectionSetupRequest", { ...NAMING_SETUP }));
    await until("SetupAckRequest", () => setUp);
    await unary(session, "SubscribeServiceRequest", { ...SERVICE, module: "naming", subscribe: true, clusters: "" });
    bi.pause(); // from here on nothing is read (nor acknowledged)
    // Bounded in count and time: CHANGES registrations ~60 ms apart, a HealthCheck between each.
    const started = Date.now();
    for (let i = 1; i <= CHANGES && Date.now() - started < 10_000; i++) {
      const r = await http(srv.httpUrl, "POST", "/nacos/v1/ns/instance", { serviceName: SERVICE.serviceName, ip: `10.7.0.${i}`, port: 80 });
      assert.is(r.status, 200);
      await unary(session, "HealthCheckRequest", { module: "internal" });
      await new Promise((r) => setTimeout(r, 60));
    }
    bi.resume();
    const last = await until("a push with every instance", () => {
      const p = pushes.at(-1);
      return p && ((p.body.serviceInfo as { hosts?: unknown[] }).hosts?.length === CHANGES) ? p : undefined;
    }, 8_000);
    assert.ok(last);
    await new Promise((r) => setTimeout(r, 300)); // nothing older may trail the newest
    assert.ok(pushes.length <= 3, `${pushes.length} pushes for one stalled service (one per merge window is what must not happen)`);
    assert.is((pushes.at(-1)!.body.serviceInfo as { hosts: unknown[] }).hosts.length, CHANGES);
  } finally {
    session.destroy();
  }
});

t.run();
