/** Long polls of clients that went away free their slot at once (else abandoned polls lock real listeners out). */
import { createHash } from "node:crypto";
import { connect, type Socket } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type ServerProcess, startServerProcess } from "../support/process.ts";

const MAX = 20;
const md5 = (s: string) => createHash("md5").update(s).digest("hex");
const probe = (m: string) => `Listening-Configs=${encodeURIComponent(`lp\u0002G\u0002${m}\u0001`)}`;

function rawPoll(port: number, body: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => {
      s.write(`POST /nacos/v1/cs/configs/listener HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Long-Pulling-Timeout: 30000\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      resolve(s);
    });
    s.on("error", reject);
  });
}

/** A poll through fetch: its answer, or "held" when none came within `ms`. */
async function pollOutcome(srv: ServerProcess, body: string, ms: number, ctl: AbortController): Promise<{ status: number; text: string } | "held"> {
  const r = fetch(`${srv.httpUrl}/nacos/v1/cs/configs/listener`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "Long-Pulling-Timeout": "30000" }, body, signal: ctl.signal,
  }).then(async (res) => ({ status: res.status, text: await res.text() }));
  r.catch(() => undefined);
  return await Promise.race([r, new Promise<"held">((res) => setTimeout(() => res("held"), ms))]);
}

const t = suite<{ srv: ServerProcess }>("long polls released on disconnect");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({ TNACOS_CONFIG_MAX_LONG_POLLS: String(MAX) });
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("abandoned polls free their slots; a real listener is held, then answered on change", async ({ srv }) => {
  const post = (content: string) => fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `dataId=lp&group=G&content=${content}`,
  });
  assert.is(await (await post("v1")).text(), "true");
  const sockets: Socket[] = [];
  for (let i = 0; i < MAX; i++) sockets.push(await rawPoll(srv.httpPort, probe(md5("v1"))));
  await new Promise((r) => setTimeout(r, 300));
  // The table is full: one more is refused with 503, and counted.
  const full = await pollOutcome(srv, probe(md5("v1")), 2_000, new AbortController());
  assert.ok(full !== "held" && full.status === 503, `expected 503, got ${JSON.stringify(full)}`);
  assert.match(await (await fetch(`${srv.httpUrl}/metrics`)).text(), /tnacos_config_long_polls_refused_total\{reason="too_many_long_polls"\} [1-9]/);

  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 500));
  const ctl = new AbortController();
  const outcome = pollOutcome(srv, probe(md5("v1")), 1_000, ctl);
  assert.is(await outcome, "held", "a real listener is held again once the abandoned polls are gone");
  ctl.abort();
  // And a held poll is answered with the key when it changes.
  const ctl2 = new AbortController();
  const waiting = fetch(`${srv.httpUrl}/nacos/v1/cs/configs/listener`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "Long-Pulling-Timeout": "30000" }, body: probe(md5("v1")), signal: ctl2.signal,
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.is(await (await post("v2")).text(), "true");
  const res = await waiting;
  assert.is(res.status, 200);
  assert.match(decodeURIComponent(await res.text()), /lp\u0002G/);
});

t.run();
