/** Prometheus HTTP service discovery on Nacos's paths: what Prometheus's http_sd_configs reads from a real node. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type ServerProcess, startServerProcess } from "../support/process.ts";

const t = suite<{ srv: ServerProcess }>("prometheus http sd");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess();
  const reg = (q: Record<string, string>) =>
    fetch(`${ctx.srv.httpUrl}/nacos/v1/ns/instance?${new URLSearchParams(q)}`, { method: "POST" }).then((r) => r.text());
  assert.is(await reg({ serviceName: "web", ip: "10.9.0.1", port: "9100", metadata: JSON.stringify({ env: "prod", "metrics.path": "/m" }) }), "ok");
  assert.is(await reg({ serviceName: "web", ip: "10.9.0.2", port: "9100", metadata: JSON.stringify({ env: "test" }) }), "ok");
  assert.is(await reg({ serviceName: "web", ip: "10.9.0.3", port: "9100", enabled: "false" }), "ok");
  assert.is(await reg({ serviceName: "db", groupName: "STORE", ip: "10.9.1.1", port: "9187", namespaceId: "dev" }), "ok");
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

type Group = { targets: string[]; labels: Record<string, string> };
const sd = async (srv: ServerProcess, path: string): Promise<Group[]> => {
  const r = await fetch(srv.httpUrl + path);
  assert.is(r.status, 200, path);
  assert.match(r.headers.get("content-type") ?? "", /json/);
  return (await r.json()) as Group[];
};
const targets = (gs: Group[]) => gs.flatMap((g) => g.targets).sort();

t("/nacos/prometheus lists every healthy, enabled instance of every namespace as a target group", async ({ srv }) => {
  const all = await sd(srv, "/nacos/prometheus");
  assert.equal(targets(all), ["10.9.0.1:9100", "10.9.0.2:9100", "10.9.1.1:9187"], "the disabled instance is left out");
  const one = all.find((g) => g.targets[0] === "10.9.0.1:9100")!;
  assert.equal(one.labels, {
    __meta_nacos_namespace: "public", __meta_nacos_group: "DEFAULT_GROUP", __meta_nacos_service: "web",
    env: "prod", metrics_path: "/m", __meta_clusterName: "DEFAULT",
  }, "metadata keys become label names");
});

t("by namespace, by service (grouped or not), by group and by metadata", async ({ srv }) => {
  assert.equal(targets(await sd(srv, "/nacos/prometheus/namespaceId/dev")), ["10.9.1.1:9187"]);
  assert.equal(targets(await sd(srv, "/nacos/prometheus/namespaceId/public/service/web")), ["10.9.0.1:9100", "10.9.0.2:9100"]);
  assert.equal(targets(await sd(srv, "/nacos/prometheus/namespaceId/dev/service/STORE@@db")), ["10.9.1.1:9187"]);
  assert.equal(targets(await sd(srv, "/nacos/prometheus/namespaceId/dev/service/db")), [], "db is not in DEFAULT_GROUP");
  assert.equal(targets(await sd(srv, "/nacos/prometheus?groupName=STORE")), ["10.9.1.1:9187"]);
  assert.equal(targets(await sd(srv, "/nacos/prometheus?metadata=env%3Dprod")), ["10.9.0.1:9100"]);
  assert.equal(await sd(srv, "/nacos/prometheus/namespaceId/nowhere"), []);
  const bad = await fetch(`${srv.httpUrl}/nacos/prometheus?metadata=oops`);
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /not key=value/);
});

t.run();
