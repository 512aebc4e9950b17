/**
 * The proxy setup docs/install.md gives for one-port mode, run for real where nginx and its stream
 * module are installed (skipped, and said so, elsewhere): nginx forwards TCP from its port to tnacos's
 * only port, and through it HTTP v1 (publish, get), the console UI and an SDK's gRPC connection
 * (ServerCheck, ConnectionSetup, then a query on the same connection, which a layer-7 gRPC proxy breaks)
 * all work.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type ServerProcess, startServerProcess } from "../support/process.ts";
import { openConfigConn, post, waitFor } from "./config-support.ts";

const STREAM_MODULES = ["/usr/lib/nginx/modules/ngx_stream_module.so", "/usr/share/nginx/modules/ngx_stream_module.so"];

/** The nginx binary and how to load its stream module, or why this machine cannot run the test. */
function findNginx(): { bin: string; load: string } | string {
  const which = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" });
  const bin = which.stdout.trim();
  if (!bin) return "nginx is not installed";
  const v = spawnSync(bin, ["-V"], { encoding: "utf8" });
  const built = `${v.stdout}${v.stderr}`;
  if (/--with-stream(\s|$)/.test(built)) return { bin, load: "" };
  const mod = STREAM_MODULES.find((m) => existsSync(m));
  if (/--with-stream=dynamic/.test(built) && mod) return { bin, load: `load_module ${mod};` };
  return "nginx has no stream module (Debian: libnginx-mod-stream)";
}

const found = findNginx();
const t = suite<{ srv: ServerProcess; nginx: ChildProcess; dir: string; front: number }>("one port behind nginx (TCP pass-through)");

if (typeof found === "string") {
  t(`skipped: ${found}`, () => {
    console.log(`  [one-port-proxy] skipped: ${found}`);
  });
} else {
  t.before(async (ctx) => {
    const port = await freePort();
    ctx.srv = await startServerProcess({ TNACOS_ONE_PORT: "true", RNACOS_GRPC_PORT: String(port), RNACOS_HTTP_CONSOLE_PORT: String(port) }, { httpPort: port });
    ctx.front = await freePort();
    ctx.dir = mkdtempSync(join(tmpdir(), "tnacos-nginx-"));
    writeFileSync(join(ctx.dir, "nginx.conf"), [
      found.load,
      `pid ${ctx.dir}/nginx.pid;`,
      `error_log ${ctx.dir}/error.log warn;`,
      "daemon off;",
      "worker_processes 1;",
      "events { worker_connections 64; }",
      `stream { server { listen 127.0.0.1:${ctx.front}; proxy_pass 127.0.0.1:${port}; proxy_timeout 1d; } }`,
    ].join("\n"));
    ctx.nginx = spawn(found.bin, ["-e", join(ctx.dir, "error.log"), "-p", ctx.dir, "-c", join(ctx.dir, "nginx.conf")], { stdio: "ignore" });
    await waitFor("nginx listening", async () => (await fetch(`http://127.0.0.1:${ctx.front}/health`).then((r) => r.status, () => 0)) === 200, 10_000);
  });
  t.after(async (ctx) => {
    ctx.nginx?.kill("SIGTERM"); // fast shutdown: a graceful one waits for forwarded connections to end
    if (ctx.nginx && ctx.nginx.exitCode === null) await new Promise((r) => ctx.nginx.once("exit", r));
    const log = ctx.dir ? readFileSync(join(ctx.dir, "error.log"), "utf8") : "";
    if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
    assert.is(await ctx.srv?.stop(), 0, `${ctx.srv?.output().slice(-2000)}\nnginx: ${log}`);
  });

  t("HTTP v1, the console and an SDK's gRPC connection all through the one forwarded port", async ({ front }) => {
    const base = `http://127.0.0.1:${front}`;
    assert.is(await (await post(`${base}/nacos/v1/cs/configs`, { dataId: "via-proxy", group: "G", content: "p1" })).text(), "true");
    assert.is(await (await fetch(`${base}/nacos/v1/cs/configs?dataId=via-proxy&group=G`)).text(), "p1");
    const ui = await fetch(`${base}/`);
    assert.is(ui.status, 200);
    assert.match(ui.headers.get("content-type") ?? "", /text\/html/);
    const conn = await openConfigConn(front);
    try {
      const q = await conn.call("ConfigQueryRequest", { dataId: "via-proxy", group: "G", tenant: "" });
      assert.is(q.type, "ConfigQueryResponse", JSON.stringify(q.body));
      assert.is(q.body.content, "p1");
    } finally {
      conn.close();
    }
  });
}

t.run();
