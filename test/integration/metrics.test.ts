/** /metrics as a Prometheus scraper sees it: text exposition, Raft gauges that move with writes, and off when disabled. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type ServerProcess, startServerProcess } from "../support/process.ts";

function gauge(body: string, name: string, labels = ""): number {
  const line = body.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  assert.ok(line, `${name}${labels} in:\n${body}`);
  return Number(line.split(" ")[1]);
}

const t = suite<{ srv: ServerProcess }>("metrics");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess();
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("/metrics, /nacos/metrics and /rnacos/metrics answer Prometheus text with Raft gauges", async ({ srv }) => {
  for (const p of ["/metrics", "/nacos/metrics", "/rnacos/metrics"]) {
    const r = await fetch(srv.httpUrl + p);
    assert.is(r.status, 200, p);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const body = await r.text();
    assert.match(body, /# TYPE tnacos_raft_commit_index gauge/);
    assert.is(gauge(body, "tnacos_raft_role", '{role="leader"}'), 1, "a single node leads");
    assert.ok(gauge(body, "tnacos_raft_term") >= 1);
  }
});

t("request latency histograms per HTTP route pattern and per gRPC request type", async ({ srv }) => {
  await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=nope&group=G`);
  const { grpcJsClient } = await import("../support/nacos-grpc-clients.ts");
  const c = grpcJsClient(srv.grpcPort);
  try {
    await c.unary("ServerCheckRequest");
  } finally {
    c.close();
  }
  const body = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  assert.match(body, /# TYPE tnacos_http_request_duration_ms histogram/);
  assert.match(body, /tnacos_http_request_duration_ms_bucket\{route="\/nacos\/v1\/cs\/configs",status="4xx",le="\+Inf"\} [1-9]/);
  assert.match(body, /tnacos_http_request_duration_ms_count\{route="\/nacos\/v1\/cs\/configs",status="4xx"\} [1-9]/);
  assert.match(body, /tnacos_grpc_request_duration_ms_bucket\{outcome="ok",type="ServerCheckRequest",le="10000"\} 1/);
});

t("registry, config and connection series follow what happens", async ({ srv }) => {
  const { namingClient } = await import("./naming-support.ts");
  const before = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  const changesBefore = gauge(before, "tnacos_config_changes_total");
  const post = (path: string, params: Record<string, string>) =>
    fetch(`${srv.httpUrl}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params) });
  assert.is(await (await post("/nacos/v1/cs/configs", { dataId: "m1", group: "G", content: "x" })).text(), "true");
  assert.is(await (await post("/nacos/v1/ns/instance", { serviceName: "metrics.svc", ip: "10.0.0.1", port: "80" })).text(), "ok");
  const sub = await namingClient(srv.grpcPort);
  try {
    await sub.request("SubscribeServiceRequest", { namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "metrics.svc", subscribe: true, clusters: "" });
    assert.is(await (await post("/nacos/v1/ns/instance", { serviceName: "metrics.svc", ip: "10.0.0.2", port: "80" })).text(), "ok");
    let body = "";
    for (let i = 0; i < 50; i++) {
      body = await (await fetch(`${srv.httpUrl}/metrics`)).text();
      if (body.includes('tnacos_naming_pushes_total{result="acked"}')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(gauge(body, "tnacos_configs") >= 1);
    assert.ok(gauge(body, "tnacos_config_changes_total") > changesBefore);
    assert.ok(gauge(body, "tnacos_naming_size", '{kind="instances"}') >= 2);
    assert.ok(gauge(body, "tnacos_naming_size", '{kind="subscribers"}') >= 1);
    assert.ok(gauge(body, "tnacos_grpc_connections") >= 1);
    assert.ok(gauge(body, "tnacos_naming_pushes_total", '{result="acked"}') >= 1);
    assert.ok(gauge(body, "tnacos_naming_push_ack_ms_count", '{kind="grpc"}') >= 1);
    assert.is(gauge(body, "tnacos_distro_ready"), 1, "a lone node is ready");
  } finally {
    sub.close();
  }
});

t("every metric the shipped Grafana dashboard (docs/grafana/tnacos-dashboard.json) queries is served", async ({ srv }) => {
  const { readFileSync } = await import("node:fs");
  const dash = JSON.parse(readFileSync(new URL("../../docs/grafana/tnacos-dashboard.json", import.meta.url), "utf8"));
  const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((x) => x.expr));
  const names = new Set(exprs.flatMap((e) => e.match(/\b(?:tnacos|process)_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|count|sum)$/, "")));
  assert.ok(names.size >= 10, [...names].join(" "));
  const body = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  const missing = [...names].filter((n) => !body.includes(`# TYPE ${n} `));
  assert.equal(missing, [], "metrics the dashboard queries but /metrics does not serve");
});

t("the commit and applied gauges move with a config write", async ({ srv }) => {
  const before = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "dataId=m1&group=G&content=x",
  });
  assert.is(await r.text(), "true");
  const after = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  assert.ok(gauge(after, "tnacos_raft_commit_index") > gauge(before, "tnacos_raft_commit_index"));
  assert.ok(gauge(after, "tnacos_raft_applied_index") >= gauge(after, "tnacos_raft_commit_index") - 0, "applied catches up");
});

t.run();

const off = suite("metrics off");
off("RNACOS_ENABLE_METRICS=false: no /metrics (404)", async () => {
  const srv = await startServerProcess({ RNACOS_ENABLE_METRICS: "false" });
  try {
    assert.is((await fetch(`${srv.httpUrl}/metrics`)).status, 404);
  } finally {
    await srv.stop();
  }
});
off.run();

const sampled = suite("metrics sampling and the log line");
sampled("RNACOS_METRICS_COLLECT_INTERVAL_SECOND samples memory and event-loop lag; RNACOS_METRICS_ENABLE_LOG prints totals every RNACOS_METRICS_LOG_INTERVAL_SECOND", async () => {
  const srv = await startServerProcess({
    RNACOS_METRICS_COLLECT_INTERVAL_SECOND: "1", RNACOS_METRICS_ENABLE_LOG: "true", RNACOS_METRICS_LOG_INTERVAL_SECOND: "5",
  });
  try {
    await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "dataId=m&group=G&content=x" });
    await new Promise((r) => setTimeout(r, 5_600));
    const body = await (await fetch(`${srv.httpUrl}/metrics`)).text();
    assert.ok(gauge(body, "process_resident_memory_bytes") > 1_000_000, "resident memory sampled");
    assert.ok(gauge(body, "tnacos_heap_used_bytes") > 0);
    assert.ok(gauge(body, "tnacos_event_loop_lag_ms") >= 0);
    const lines = srv.output().split("\n").filter((l) => /\[metrics\] metrics /.test(l));
    assert.is(lines.length, 1, `one log line after 5.6 s:\n${lines.join("\n")}`);
    assert.match(lines[0], /process_resident_memory_bytes=\d+/);
    assert.match(lines[0], /tnacos_raft_commit_index=\d+/);
  } finally {
    await srv.stop();
  }
});
sampled.run();
