/**
 * A client that stops reading its bi-stream cannot make the server buffer pushes without limit: pushes
 * to it stop once TNACOS_GRPC_MAX_PUSH_BACKLOG_BYTES are unread, and it is disconnected after
 * TNACOS_GRPC_SLOW_CLIENT_DROP_MS over that bound, while a well-behaved listener keeps getting pushes.
 */
import * as http2 from "node:http2";
import { toBinary } from "@bufbuild/protobuf";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { encodeFrame } from "../../src/api/grpc/frame.ts";
import { PayloadSchema } from "../../src/gen/nacos_grpc_service_pb.ts";
import { toPayload } from "../support/nacos-grpc-clients.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { openConfigConn, waitFor } from "./config-support.ts";

const frame = (type: string, body: Record<string, unknown>) => encodeFrame(toBinary(PayloadSchema, toPayload(type, body)));
const GRPC = { ":method": "POST", "content-type": "application/grpc", te: "trailers" };

function unary(session: http2.ClientHttp2Session, type: string, body: Record<string, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const s = session.request({ ...GRPC, ":path": "/Request/request" });
    s.on("error", () => undefined);
    s.on("data", () => undefined);
    s.on("close", () => resolve());
    s.end(frame(type, body));
  });
}

const KEYS = Array.from({ length: 400 }, (_, i) => `hot-${i}`);

/** A config listener that sets up its stream, listens to KEYS, then never reads again. */
async function stalledListener(port: number): Promise<{ session: http2.ClientHttp2Session; closed: Promise<void> }> {
  // A small receive window, so a few unread pushes already queue on the server (as big naming pushes do).
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 1024 } });
  session.on("error", () => undefined);
  const closed = new Promise<void>((r) => session.once("close", () => r()));
  await unary(session, "ServerCheckRequest", { module: "internal" });
  const bi = session.request({ ...GRPC, ":path": "/BiRequestStream/requestBiStream" });
  bi.on("error", () => undefined);
  bi.write(frame("ConnectionSetupRequest", {
    clientVersion: "Nacos-Java-Client:v2.5.1", labels: { source: "sdk", module: "config" }, abilityTable: {}, module: "internal",
  }));
  await new Promise<void>((r) => bi.once("data", () => r())); // SetupAckRequest
  bi.pause(); // from here on nothing is read: HTTP/2 flow control stops the server's writes
  await unary(session, "ConfigBatchListenRequest", { module: "config", listen: true, configListenContexts: KEYS.map((dataId) => ({ dataId, group: "G", md5: "", tenant: "" })) });
  return { session, closed };
}

const t = suite<{ srv: ServerProcess }>("gRPC slow client");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({ TNACOS_GRPC_MAX_PUSH_BACKLOG_BYTES: "8192", TNACOS_GRPC_SLOW_CLIENT_DROP_MS: "1000" });
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("a listener that stops reading is disconnected; a reading listener still gets every change", async ({ srv }) => {
  // Pushes to one key are already coalesced (one in flight); many keys are what fills a stalled stream.
  const slow = await stalledListener(srv.grpcPort);
  const good = await openConfigConn(srv.grpcPort);
  try {
    await good.call("ConfigBatchListenRequest", { listen: true, configListenContexts: [{ dataId: "hot-0", group: "G", md5: "", tenant: "" }] });
    let dropped = false;
    void slow.closed.then(() => (dropped = true));
    const started = Date.now();
    let i = 0;
    // Changes to every listened key, bounded in count and time, until the slow client is gone.
    while (!dropped && i < 20_000 && Date.now() - started < 20_000) {
      const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `dataId=${KEYS[i % KEYS.length]}&group=G&content=v${i++}`,
      });
      await r.text();
    }
    if (!dropped) console.log((await (await fetch(`${srv.httpUrl}/metrics`)).text()).split("\n").filter((l) => /push|grpc_requests/.test(l)).join("\n"));
    assert.ok(dropped, `the stalled client was not disconnected after ${i} changes`);
    const m = await (await fetch(`${srv.httpUrl}/metrics`)).text();
    assert.match(m, /tnacos_grpc_slow_clients_dropped_total [1-9]/);
    assert.match(m, /tnacos_grpc_push_refused_total [1-9]/);
    // The reading listener kept up.
    await waitFor("a push to the good listener", () => good.notifies.length > 0);
    assert.is((await fetch(`${srv.httpUrl}/health`)).status, 200);
  } finally {
    slow.session.destroy();
    good.close();
  }
});

t.run();
