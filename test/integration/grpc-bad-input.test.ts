/**
 * Bad input on the gRPC port never crashes the server: malformed protobuf, non-JSON bodies, oversized
 * or compressed frames, unknown methods, wrong content types and expired deadlines each get a clear
 * status, and the server keeps serving. Uses a raw HTTP/2 client to send what real clients never would.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as http2 from "node:http2";
import { dialH2 } from "../../platform/shared/h2.ts";
import type { H2ClientSession, H2Headers } from "../../src/ports/net.ts";
import { encodeFrame } from "../../src/api/grpc/frame.ts";
import { decodePayload } from "../../src/api/grpc/payload.ts";
import { toBinary } from "@bufbuild/protobuf";
import { PayloadSchema } from "../../src/gen/nacos_grpc_service_pb.ts";
import { toPayload } from "../support/nacos-grpc-clients.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { createPrng } from "../../src/lib/prng.ts";

interface Answer {
  status: number;
  grpcStatus: string | undefined;
  grpcMessage: string | undefined;
  messages: Uint8Array[];
}

function call(session: H2ClientSession, path: string, body: Uint8Array[], headers: H2Headers = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const s = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    let status = 0;
    let grpcStatus: string | undefined;
    let grpcMessage: string | undefined;
    const chunks: Uint8Array[] = [];
    s.onResponse((h) => {
      status = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) {
        grpcStatus = String(h["grpc-status"]);
        grpcMessage = h["grpc-message"] === undefined ? undefined : decodeURIComponent(String(h["grpc-message"]));
      }
    });
    s.onData((c) => chunks.push(c));
    s.onTrailers((t) => {
      grpcStatus = String(t["grpc-status"]);
      grpcMessage = t["grpc-message"] === undefined ? undefined : decodeURIComponent(String(t["grpc-message"]));
    });
    s.onClose(() => {
      const all = Buffer.concat(chunks);
      const messages: Uint8Array[] = [];
      for (let o = 0; o + 5 <= all.length;) {
        const len = all.readUInt32BE(o + 1);
        messages.push(new Uint8Array(all.subarray(o + 5, o + 5 + len)));
        o += 5 + len;
      }
      resolve({ status, grpcStatus, grpcMessage, messages });
    });
    for (const b of body) s.write(b);
    s.end();
  });
}

const frame = (type: string, body: Record<string, unknown>) => encodeFrame(toBinary(PayloadSchema, toPayload(type, body)));

const t = suite<{ srv: ServerProcess; h2: H2ClientSession }>("grpc bad input");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({ RUST_LOG: "warn" });
  ctx.h2 = await dialH2(`127.0.0.1:${ctx.srv.grpcPort}`);
});
t.after(async (ctx) => {
  ctx.h2.close();
  const code = await ctx.srv.stop();
  assert.is(code, 0, `server exit code ${code}:\n${ctx.srv.output().slice(-2000)}`);
});

t("malformed protobuf gets ErrorResponse 502 with a message", async ({ h2 }) => {
  const a = await call(h2, "/Request/request", [encodeFrame(new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]))]);
  assert.is(a.grpcStatus, "0");
  const m = decodePayload(a.messages[0]);
  assert.is(m.type, "ErrorResponse");
  assert.is(m.body.errorCode, 502);
  assert.match(String(m.body.message), /malformed Payload/);
});

t("a body that is not JSON gets ErrorResponse 502", async ({ h2 }) => {
  const p = toPayload("ServerCheckRequest", {});
  p.body!.value = new TextEncoder().encode("{not json");
  const a = await call(h2, "/Request/request", [encodeFrame(toBinary(PayloadSchema, p))]);
  const m = decodePayload(a.messages[0]);
  assert.is(m.body.errorCode, 502);
  assert.match(String(m.body.message), /not UTF-8 JSON/);
});

t("a message over 10 MiB is refused with RESOURCE_EXHAUSTED before it is buffered", async ({ h2 }) => {
  const header = new Uint8Array(5);
  new DataView(header.buffer).setUint32(1, 10 * 1024 * 1024 + 1);
  const a = await call(h2, "/Request/request", [header, new Uint8Array(64 * 1024)]);
  assert.is(a.grpcStatus, "8");
  assert.match(String(a.grpcMessage), /exceeds the limit/);
});

t("compressed frames are UNIMPLEMENTED; unknown methods are UNIMPLEMENTED", async ({ h2 }) => {
  const f = frame("ServerCheckRequest", {});
  f[0] = 1;
  assert.is((await call(h2, "/Request/request", [f])).grpcStatus, "12");
  const u = await call(h2, "/Nope/nope", [frame("ServerCheckRequest", {})]);
  assert.is(u.grpcStatus, "12");
  assert.match(String(u.grpcMessage), /unknown method/);
});

t("a unary call with no message or two messages is INTERNAL", async ({ h2 }) => {
  assert.is((await call(h2, "/Request/request", [])).grpcStatus, "13");
  const two = frame("ServerCheckRequest", {});
  assert.is((await call(h2, "/Request/request", [two, two])).grpcStatus, "13");
});

t("a non-gRPC content type gets HTTP 415", async ({ h2 }) => {
  const a = await call(h2, "/Request/request", [frame("ServerCheckRequest", {})], { "content-type": "application/json" });
  assert.is(a.status, 415);
});

t("grpc-timeout: a request still incomplete at its deadline gets DEADLINE_EXCEEDED", async ({ h2 }) => {
  const s = h2.request({ ":method": "POST", ":path": "/Request/request", "content-type": "application/grpc", te: "trailers", "grpc-timeout": "200m" });
  const status = await new Promise<string>((resolve) => {
    s.onResponse((h) => h["grpc-status"] !== undefined && resolve(String(h["grpc-status"])));
    s.onTrailers((tr) => resolve(String(tr["grpc-status"])));
    s.write(frame("ServerCheckRequest", {}).subarray(0, 3)); // half a frame, never finished
  });
  s.reset();
  assert.is(status, "4");
});

t("1,000 random byte strings and mutated payloads: every call answered, server still serving", async ({ srv, h2 }) => {
  const prng = createPrng(20261121);
  const good = toBinary(PayloadSchema, toPayload("ServerCheckRequest", { module: "internal" }));
  let answered = 0;
  // 20 connections of 50 calls: Deno's node:http2 aborts on a GOAWAY after ~100 streams on one session
  // (see platform/shared/h2.ts); that runtime bug is documented, not what this test is about.
  for (let batch = 0; batch < 20; batch++) {
    const session = await dialH2(`127.0.0.1:${srv.grpcPort}`);
    const calls: Promise<Answer>[] = [];
    for (let i = 0; i < 50; i++) {
      let bytes: Uint8Array;
      if (prng.chance(0.5)) {
        bytes = new Uint8Array(prng.int(200));
        for (let j = 0; j < bytes.length; j++) bytes[j] = prng.int(256);
      } else {
        bytes = good.slice();
        for (let k = 0; k < 1 + prng.int(4); k++) bytes[prng.int(bytes.length)] = prng.int(256);
      }
      calls.push(call(session, "/Request/request", [encodeFrame(bytes)]));
    }
    for (const a of await Promise.all(calls)) {
      assert.ok(a.grpcStatus !== undefined, "every call ends with a grpc-status");
      answered++;
    }
    session.close();
  }
  assert.is(answered, 1000);
  const ok = decodePayload((await call(h2, "/Request/request", [frame("ServerCheckRequest", {})])).messages[0]);
  assert.is(ok.type, "ServerCheckResponse");
  assert.ok((await fetch(`${srv.httpUrl}/health`)).ok);
});

t("HTTP/2 keepalive pings are answered, many in a row, and the connection keeps serving (Go SDK pings every 60 s)", async ({ srv }) => {
  const session = http2.connect(`http://127.0.0.1:${srv.grpcPort}`);
  session.on("error", () => {});
  await new Promise((resolve) => session.once("connect", resolve));
  try {
    for (let i = 0; i < 20; i++) {
      const ok = await new Promise<boolean>((resolve) => session.ping((err) => resolve(!err)));
      assert.ok(ok, `ping ${i} acknowledged`);
    }
    const answer = await new Promise<string>((resolve) => {
      const s = session.request({ ":method": "POST", ":path": "/Request/request", "content-type": "application/grpc", te: "trailers" });
      const chunks: Buffer[] = [];
      s.on("data", (c: Buffer) => chunks.push(c));
      s.on("close", () => resolve(decodePayload(new Uint8Array(Buffer.concat(chunks).subarray(5))).type));
      s.end(Buffer.from(frame("ServerCheckRequest", {})));
    });
    assert.is(answer, "ServerCheckResponse");
  } finally {
    session.destroy();
  }
});

t.run();
