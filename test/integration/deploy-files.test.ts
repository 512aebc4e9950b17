/**
 * The container and Kubernetes files (deploy/): the Helm chart rendered with its values (a renderer for
 * the small template subset the chart uses; any other template syntax fails the test), parsed, and
 * checked for what a working cluster needs; the StatefulSet's start script run for a pod name, so the
 * node id, address and join address it derives are the ones a cluster needs; the probes it configures
 * answered by a real server; the compose file's three nodes; the Dockerfile against the archives
 * build.ts makes. `docker build` and `helm lint` run only where those tools work; otherwise the test
 * says so (this machine has no Docker daemon and no helm).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServerProcess } from "../support/process.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const chart = join(root, "deploy", "helm", "tnacos");
const bun = join(root, "node_modules", ".bin", "bun");

/** YAML → JSON through Bun's parser (every document of a stream). */
function parseYaml(text: string): any[] {
  const r = spawnSync(bun, ["-e", "process.stdout.write(JSON.stringify(Bun.YAML.parse(await Bun.stdin.text())))"], { input: text, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`YAML did not parse: ${r.stderr}`);
  const v = JSON.parse(r.stdout);
  return (Array.isArray(v) ? v : [v]).filter((d) => d !== null);
}

function lookup(obj: any, path: string): unknown {
  return path.split(".").reduce((o, k) => (o === undefined ? undefined : o[k]), obj);
}

/** `{{ .Values.a.b }}`, `{{ .Release.Name }}`, `{{ .Release.Namespace }}` — and nothing else. */
function render(template: string, values: any, release: { Name: string; Namespace: string }): string {
  return template.replace(/\{\{-?\s*([^}]*?)\s*-?\}\}/g, (_, expr: string) => {
    const m = /^\.(Values|Release)\.([A-Za-z0-9_.]+)$/.exec(expr);
    if (!m) throw new Error(`template syntax the test renderer does not know: {{ ${expr} }}`);
    const v = m[1] === "Values" ? lookup(values, m[2]) : (release as Record<string, string>)[m[2]];
    if (v === undefined) throw new Error(`{{ ${expr} }} has no value`);
    return String(v);
  });
}

const release = { Name: "tnacos", Namespace: "prod" };
const values = parseYaml(readFileSync(join(chart, "values.yaml"), "utf8"))[0];
const docs = readdirSync(join(chart, "templates")).flatMap((f) => parseYaml(render(readFileSync(join(chart, "templates", f), "utf8"), values, release)));
const kind = (k: string, name?: string) => docs.find((d) => d.kind === k && (name === undefined || d.metadata.name === name));

test("the chart renders a StatefulSet on a headless service, with probes, a volume and a disruption budget", () => {
  assert.is(parseYaml(readFileSync(join(chart, "Chart.yaml"), "utf8"))[0].name, "tnacos");
  const sts = kind("StatefulSet");
  const headless = kind("Service", "tnacos-headless");
  assert.ok(sts && headless && kind("Service", "tnacos") && kind("PodDisruptionBudget"));
  assert.is(sts.spec.serviceName, "tnacos-headless");
  assert.is(sts.spec.replicas, 3);
  assert.is(sts.spec.podManagementPolicy, "Parallel", "after a full stop every pod must start for a majority to form");
  assert.is(headless.spec.clusterIP, "None");
  assert.is(headless.spec.publishNotReadyAddresses, true, "peers resolve each other before they are ready");
  assert.is(kind("PodDisruptionBudget").spec.maxUnavailable, 1);
  const c = sts.spec.template.spec.containers[0];
  assert.ok(sts.spec.template.spec.securityContext.runAsNonRoot);
  assert.is(c.volumeMounts[0].mountPath, "/io");
  assert.is(sts.spec.volumeClaimTemplates[0].metadata.name, c.volumeMounts[0].name);
  assert.equal(sts.spec.selector.matchLabels, sts.spec.template.metadata.labels);
});

test("the start script gives pod tnacos-2 node id 3, its stable DNS address, and pod 0 as join address", () => {
  const c = kind("StatefulSet").spec.template.spec.containers[0];
  const dir = mkdtempSync(join(tmpdir(), "tnacos-chart-"));
  try {
    // A stand-in for the binary that prints the environment it was started with.
    writeFileSync(join(dir, "tnacos"), "#!/bin/sh\nenv\n");
    chmodSync(join(dir, "tnacos"), 0o755);
    const env: Record<string, string> = { PATH: `${dir}:${process.env.PATH}`, HOSTNAME: "tnacos-2" };
    for (const e of c.env) {
      // Kubernetes expands $(VAR) from earlier entries; fieldRef metadata.name is the pod name.
      env[e.name] = e.valueFrom ? "tnacos-2" : String(e.value).replace(/\$\((\w+)\)/g, (_, n) => env[n] ?? "");
    }
    const r = spawnSync(c.command[0], [...c.command.slice(1), ...c.args], { env, encoding: "utf8" });
    assert.is(r.status, 0, r.stderr);
    const out = Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    assert.is(out.RNACOS_RAFT_NODE_ID, "3");
    assert.is(out.RNACOS_RAFT_NODE_ADDR, "tnacos-2.tnacos-headless.prod.svc.cluster.local:9848");
    assert.is(out.RNACOS_RAFT_JOIN_ADDR, "tnacos-0.tnacos-headless.prod.svc.cluster.local:9848");
    assert.is(out.MIMALLOC_PURGE_DELAY, "1000", "the allocator setting, so the container starts without re-executing itself");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the probes the chart configures are answered by a real server", async () => {
  const c = kind("StatefulSet").spec.template.spec.containers[0];
  const srv = await startServerProcess();
  try {
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      assert.is((await fetch(`${srv.httpUrl}${probe.httpGet.path}`)).status, 200, probe.httpGet.path);
    }
  } finally {
    await srv.stop();
  }
});

test("the compose file: three nodes, unique ids, node 1 founds, the others join it at its service name", () => {
  const compose = parseYaml(readFileSync(join(root, "deploy", "docker", "docker-compose.yml"), "utf8"))[0];
  const nodes = Object.entries(compose.services as Record<string, any>);
  assert.is(nodes.length, 3);
  assert.equal(nodes.map(([, s]) => s.environment.RNACOS_RAFT_NODE_ID).sort(), ["1", "2", "3"]);
  for (const [name, s] of nodes) {
    assert.is(s.environment.RNACOS_RAFT_NODE_ADDR, `${name}:9848`);
    assert.is(s.environment.RNACOS_RAFT_JOIN_ADDR, "tnacos1:9848");
    assert.ok(s.volumes[0].endsWith(":/io"));
  }
  assert.is(compose.services.tnacos1.environment.RNACOS_RAFT_AUTO_INIT, "true");
});

test("the Dockerfile takes a musl archive build.ts makes, runs unprivileged with data in /io (the image itself: scripts/deploy-check.sh)", () => {
  const file = readFileSync(join(root, "deploy", "docker", "Dockerfile"), "utf8");
  const target = /ARG TARGET=(\S+)/.exec(file)?.[1];
  assert.ok(target && readFileSync(join(root, "build.ts"), "utf8").includes(`"${target}": { bun: "bun-${target}"`), `${target} is a build.ts target`);
  assert.match(file, /ADD dist\/tnacos-\$\{VERSION\}-\$\{TARGET\}\.tar\.gz/);
  assert.match(file, /^USER tnacos$/m);
  assert.match(file, /^VOLUME \/io$/m);
  assert.match(file, /RNACOS_RUN_IN_DOCKER=true/);
  assert.match(file, /^ENV .*MIMALLOC_PURGE_DELAY=1000/m, "the allocator setting, so the container starts without re-executing itself");
  if (spawnSync("docker", ["info"], { encoding: "utf8" }).status !== 0) {
    console.log("  (no Docker daemon here: `sh scripts/deploy-check.sh` builds and runs the image where one runs)");
  }
  if (spawnSync("helm", ["version"], { encoding: "utf8" }).error) {
    console.log("  (no helm here: `helm lint deploy/helm/tnacos` is not run; the chart is rendered and checked above)");
  } else {
    const r = spawnSync("helm", ["lint", chart], { encoding: "utf8" });
    assert.is(r.status, 0, r.stdout + r.stderr);
  }
});

test.run();
