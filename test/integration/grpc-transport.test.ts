/**
 * The Nacos 2.x gRPC handshake, as official SDKs run it, against a real tnacos process (started under
 * the runtime running the tests), with two independent client stacks: ServerCheck → bi-stream
 * ConnectionSetupRequest (→ SetupAckRequest) → HealthCheck, a server push (ClientDetectionRequest
 * after 1 s idle) acked on the stream, and the error codes clients react to (301, 302).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CLIENTS, type NacosGrpcClient } from "../support/nacos-grpc-clients.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";

export const SETUP = {
  clientVersion: "Nacos-Java-Client:v2.5.1",
  labels: { source: "sdk", module: "naming", AppName: "orders" },
  abilityTable: {},
  module: "internal",
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const [name, make] of CLIENTS) {
  const t = suite<{ srv: ServerProcess; client: NacosGrpcClient }>(`grpc handshake via ${name}`);
  t.before(async (ctx) => {
    ctx.srv = await startServerProcess({ RNACOS_GRPC_DETECTION_TIMEOUT_SECOND: "1" });
  });
  t.after(async (ctx) => {
    const code = await ctx.srv.stop();
    assert.is(code, 0, `SIGTERM ends the server with exit code 0 (got ${code}); output:\n${ctx.srv.output().slice(-3000)}`);
  });
  t.before.each((ctx) => {
    ctx.client = make(ctx.srv.grpcPort);
  });
  t.after.each((ctx) => ctx.client.close());

  t("ServerCheck answers the connection id and ability negotiation, with every base field", async ({ client }) => {
    const r = await client.unary("ServerCheckRequest", { module: "internal" });
    assert.is(r.type, "ServerCheckResponse");
    assert.match(String(r.body.connectionId), /^\d{13}_127\.0\.0\.1_\d+$/);
    assert.is(r.body.supportAbilityNegotiation, true);
    assert.is(r.body.resultCode, 200);
    assert.is(r.body.errorCode, 0);
    assert.is(r.body.success, true);
    assert.type(r.body.message, "string");
    assert.type(r.body.requestId, "string");
  });

  t("a unary call before the stream setup gets errorCode 301 (the client then reconnects)", async ({ client }) => {
    await client.unary("ServerCheckRequest");
    const r = await client.unary("HealthCheckRequest", { module: "internal" });
    assert.is(r.type, "ErrorResponse");
    assert.is(r.body.errorCode, 301);
    assert.is(r.body.resultCode, 500);
    assert.is(r.body.success, false);
    assert.is(r.body.message, "Connection is unregistered.");
  });

  t("setup, SetupAck, HealthCheck, then a server push acked on the stream keeps the connection", async ({ client }) => {
    await client.unary("ServerCheckRequest");
    const stream = client.openStream();
    stream.send("ConnectionSetupRequest", SETUP);
    const ack = await stream.incoming.next();
    assert.is(ack.type, "SetupAckRequest");
    assert.is(typeof (ack.body.abilityTable as Record<string, unknown>).supportPersistentInstanceByGrpc, "boolean");

    const hc = await client.unary("HealthCheckRequest", { module: "internal" });
    assert.is(hc.type, "HealthCheckResponse");
    assert.is(hc.body.resultCode, 200);

    // Idle for 1 s: the server pushes ClientDetectionRequest on the stream and awaits our ack.
    const req = await stream.incoming.next(5000);
    assert.is(req.type, "ClientDetectionRequest");
    assert.match(String(req.body.requestId), /^\d+$/);
    stream.send("ClientDetectionResponse", { resultCode: 200, errorCode: 0, success: true, requestId: req.body.requestId });
    await sleep(3500); // past the 3 s reply window: an unacked push would have dropped the connection
    const still = await client.unary("HealthCheckRequest", { module: "internal" });
    assert.is(still.type, "HealthCheckResponse", "acked connection stays registered");
    stream.close();
  });

  t("a client that never answers ClientDetectionRequest is disconnected", async ({ client }) => {
    await client.unary("ServerCheckRequest");
    const stream = client.openStream();
    stream.send("ConnectionSetupRequest", SETUP);
    await stream.incoming.next();
    const req = await stream.incoming.next(5000);
    assert.is(req.type, "ClientDetectionRequest");
    const code = await Promise.race([stream.ended, sleep(6000).then(() => -1)]);
    assert.is(code, 14, "stream ended with UNAVAILABLE");
  });

  t("an unknown request type gets ErrorResponse 302; the connection keeps working", async ({ client }) => {
    const r = await client.unary("NoSuchRequest", {});
    assert.is(r.type, "ErrorResponse");
    assert.is(r.body.errorCode, 302);
    assert.match(String(r.body.message), /NoSuchRequest/);
    const again = await client.unary("ServerCheckRequest");
    assert.is(again.type, "ServerCheckResponse");
  });

  t("closing the stream unregisters the connection", async ({ client }) => {
    await client.unary("ServerCheckRequest");
    const stream = client.openStream();
    stream.send("ConnectionSetupRequest", SETUP);
    await stream.incoming.next();
    assert.is((await client.unary("HealthCheckRequest")).type, "HealthCheckResponse");
    stream.close();
    await stream.ended;
    await sleep(100);
    assert.is((await client.unary("HealthCheckRequest")).body.errorCode, 301);
  });

  t.run();
}

const shutdown = suite("grpc shutdown");
for (const [name, make] of CLIENTS) {
  shutdown(`SIGTERM ends open streams with UNAVAILABLE and exits 0 (${name})`, async () => {
    const srv = await startServerProcess();
    const client = make(srv.grpcPort);
    try {
      await client.unary("ServerCheckRequest");
      const stream = client.openStream();
      stream.send("ConnectionSetupRequest", SETUP);
      await stream.incoming.next();
      srv.kill("SIGTERM");
      const code = await Promise.race([stream.ended, sleep(5000).then(() => -1)]);
      assert.is(code, 14);
      assert.is(await srv.stop(), 0);
      assert.match(srv.output(), /tnacos stopped/);
    } finally {
      client.close();
      await srv.stop();
    }
  });
}
shutdown.run();
