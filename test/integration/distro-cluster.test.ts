/**
 * The ephemeral registry across real processes (three nodes on loopback, Distro between them): the
 * seed's curl script (one instance registered on each node, every node lists all three, beats reach
 * the owner from any node); a gRPC client's node killed with -9 (its instances leave every node within
 * member expiry + grace, and subscribers elsewhere are pushed); a client moving to another node keeps
 * its instance with no gap; a restarted node loads the registry before it reports ready.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startServerProcess, type ServerProcess } from "../support/process.ts";
import { startCluster, stopAll } from "./cluster-support.ts";
import { hostsOf, http, namingClient, until } from "./naming-support.ts";
import { ownerOf } from "../../src/distro/ownership.ts";

const t = suite("distro cluster (real processes)");

// Short Distro timers keep the test quick; the rule member expiry < health timeout − 5 s still holds.
const ENV = {
  TNACOS_DISTRO_MEMBER_EXPIRY_MS: "2000", TNACOS_DISTRO_GRACE_MS: "1000", TNACOS_DISTRO_PROTECT_MS: "3000",
  RNACOS_NAMING_HEALTH_TIMEOUT_SECOND: "15", RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND: "30",
  // Freshly started nodes would hold any loss for the 30 s push-protection warm-up (push-guard.ts).
  TNACOS_NAMING_PUSH_PROTECT_WARMUP_SECOND: "0",
};

type Pushed = { body: Record<string, unknown> };
const pushedIps = (m: Pushed): string[] => ((m.body.serviceInfo as { hosts?: { ip: string }[] } | undefined)?.hosts ?? []).map((h) => h.ip).sort();
const ips = (hosts: { ip: string; port: number }[]) => hosts.map((h) => `${h.ip}:${h.port}`).sort();

t("the curl script: one instance registered on each node, every node lists all three; beats and removals reach the owner", async () => {
  const nodes = await startCluster(3, ENV);
  try {
    for (const [i, n] of nodes.entries()) {
      const r = await http(n.httpUrl, "POST", "/nacos/v1/ns/instance", { ip: `10.1.0.${i + 1}`, port: 8000, serviceName: "distro.curl", groupName: "foo" });
      assert.is(r.text, "ok", `register on node ${i + 1}`);
    }
    const all = ["10.1.0.1:8000", "10.1.0.2:8000", "10.1.0.3:8000"];
    for (const [i, n] of nodes.entries()) {
      await until(`all three on node ${i + 1}`, async () => JSON.stringify(ips(await hostsOf(n.httpUrl, "foo@@distro.curl"))) === JSON.stringify(all), 5000);
    }
    // A beat on any node answers as the owner does (10200 for a known instance), an unknown one 20404.
    for (const n of nodes) {
      const b = await http(n.httpUrl, "PUT", "/nacos/v1/ns/instance/beat", { ip: "10.1.0.2", port: 8000, serviceName: "foo@@distro.curl" });
      assert.is(b.json().code, 10200, b.text);
      const u = await http(n.httpUrl, "PUT", "/nacos/v1/ns/instance/beat", { ip: "10.9.9.9", port: 1, serviceName: "foo@@distro.curl" });
      assert.is(u.json().code, 20404, u.text);
    }
    // An update and a removal on a node that is (for some of them) not the owner reach every node.
    const u = await http(nodes[2].httpUrl, "PUT", "/nacos/v1/ns/instance", { ip: "10.1.0.1", port: 8000, serviceName: "foo@@distro.curl", weight: 3 });
    assert.is(u.text, "ok");
    const d = await http(nodes[0].httpUrl, "DELETE", "/nacos/v1/ns/instance", { ip: "10.1.0.3", port: 8000, serviceName: "foo@@distro.curl" });
    assert.is(d.text, "ok");
    for (const [i, n] of nodes.entries()) {
      await until(`update and removal on node ${i + 1}`, async () => {
        const hosts = await hostsOf(n.httpUrl, "foo@@distro.curl");
        return JSON.stringify(ips(hosts)) === JSON.stringify(all.slice(0, 2)) && hosts.find((h: { ip: string }) => h.ip === "10.1.0.1").weight === 3;
      }, 5000);
    }
    // Errors come back from the owner in Nacos's format.
    const bad = await http(nodes[1].httpUrl, "PUT", "/nacos/v1/ns/instance", { ip: "10.7.7.7", port: 1, serviceName: "foo@@distro.curl" });
    assert.is(bad.status, 400);
    assert.match(bad.text, /instance not exist/);
    // Metadata batches sent to any node run on the owner and reach every node; statuses agree everywhere.
    for (const [i, n] of nodes.entries()) {
      const m = await http(n.httpUrl, "PUT", "/nacos/v1/ns/instance/metadata/batch", { serviceName: "foo@@distro.curl", metadata: `{"from":"node${i + 1}","n${i + 1}":"x"}` });
      assert.equal(m.json().updated.sort(), ["10.1.0.1:8000:unknown:DEFAULT:ephemeral", "10.1.0.2:8000:unknown:DEFAULT:ephemeral"], m.text);
    }
    const del = await http(nodes[1].httpUrl, "DELETE", "/nacos/v1/ns/instance/metadata/batch", { serviceName: "foo@@distro.curl", metadata: "n2=" });
    assert.is(del.json().updated.length, 2, del.text);
    for (const [i, n] of nodes.entries()) {
      await until(`metadata on node ${i + 1}`, async () => {
        const hosts = await hostsOf(n.httpUrl, "foo@@distro.curl");
        return hosts.length === 2 && hosts.every((h: { metadata: Record<string, string> }) => JSON.stringify(h.metadata) === '{"from":"node3","n1":"x","n3":"x"}');
      }, 5000);
      const st = await http(n.httpUrl, "GET", "/nacos/v1/ns/instance/statuses", { key: "public##foo@@distro.curl" });
      assert.equal(st.json().ips.sort(), ["10.1.0.1:8000_true", "10.1.0.2:8000_true"]);
    }
  } finally {
    await stopAll(nodes);
  }
});

t("kill -9 of a gRPC client's node: its instance leaves every node and subscribers elsewhere are pushed; a moved client has no gap", async () => {
  const nodes = await startCluster(3, ENV);
  const clients: { close(): void }[] = [];
  try {
    const [n1, n2, n3] = nodes;
    const svc = { namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "distro.grpc" };
    const inst = (ip: string) => ({ ip, port: 9000, weight: 1, enabled: true, healthy: true, ephemeral: true, clusterName: "DEFAULT", metadata: {} });
    // A subscriber on node 1.
    const sub = await namingClient(n1.grpcPort);
    clients.push(sub);
    await sub.request("SubscribeServiceRequest", { ...svc, subscribe: true, clusters: "" });
    // Publishers on node 3, node 2 and node 1 (so node 3's loss is no collapse for push protection).
    const on3 = await namingClient(n3.grpcPort);
    const on2 = await namingClient(n2.grpcPort);
    const on1 = await namingClient(n1.grpcPort);
    clients.push(on3, on2, on1);
    await on1.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst("10.1.0.1") });
    const r3 = await on3.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst("10.3.0.1") });
    assert.is(r3.body.resultCode, 200, JSON.stringify(r3.body));
    await on2.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst("10.2.0.1") });
    for (const n of nodes) await until(`all three on ${n.httpPort}`, async () => (await hostsOf(n.httpUrl, "distro.grpc")).length === 3, 5000);
    await until("the subscriber on node 1 pushed with all three", () => sub.pushes.some((m) => pushedIps(m).length === 3), 5000);

    // A client moving from node 2 to node 1 (what an SDK does when its server goes away): it registers
    // on the new connection, then the old one closes. Node 3 must list it in every answer meanwhile.
    let gaps = 0;
    let polls = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const hosts = await hostsOf(n3.httpUrl, "distro.grpc").catch(() => []);
        polls++;
        if (!hosts.some((h: { ip: string }) => h.ip === "10.2.0.1")) gaps++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
    const moved = await namingClient(n1.grpcPort);
    clients.push(moved);
    await moved.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst("10.2.0.1") });
    await until("node 3 sees the new connection's copy", async () => {
      const r = await http(n3.httpUrl, "GET", "/nacos/v1/ns/operator/metrics", { onlyStatus: false });
      return r.json().instanceCount >= 4;
    }, 5000);
    on2.close();
    await new Promise((r) => setTimeout(r, 1000));
    } finally {
      watching = false;
      await watch;
    }
    assert.ok(polls > 10, `polled ${polls} times`);
    assert.is(gaps, 0, "the moved client's instance was never missing on node 3");

    // kill -9 node 3: member expiry (2 s) + grace (1 s), then its connection's instance is gone everywhere.
    const killedAt = Date.now();
    n3.kill("SIGKILL");
    await n3.exited;
    for (const n of [n1, n2]) {
      await until(`node 3's instance gone from ${n.httpPort}`, async () => {
        const hosts = await hostsOf(n.httpUrl, "distro.grpc");
        return JSON.stringify(ips(hosts)) === JSON.stringify(["10.1.0.1:9000", "10.2.0.1:9000"]);
      }, 10_000);
    }
    const took = Date.now() - killedAt;
    assert.ok(took < 8000, `gone after ${took} ms`);
    await until("the subscriber on node 1 pushed without node 3's instance", () =>
      sub.pushes.some((m) => JSON.stringify(pushedIps(m)) === JSON.stringify(["10.1.0.1", "10.2.0.1"])), 5000).catch((e) => {
      throw new Error(`${e.message}; pushes: ${JSON.stringify(sub.pushes.map(pushedIps))}; node 1 said:\n${n1.output().slice(-3000)}`);
    });
  } finally {
    for (const c of clients) c.close();
    await stopAll(nodes);
  }
});

t("a restarted node loads the registry from its peers before it reports ready", async () => {
  const nodes = await startCluster(3, ENV);
  let restarted: ServerProcess | undefined;
  try {
    const [n1, , n3] = nodes;
    for (let i = 0; i < 50; i++) {
      const r = await http(n1.httpUrl, "POST", "/nacos/v1/ns/instance", { ip: `10.5.0.${i + 1}`, port: 7000, serviceName: `distro.restart.${i % 5}` });
      assert.is(r.text, "ok");
    }
    await until("50 instances on node 3", async () => (await http(n3.httpUrl, "GET", "/nacos/v1/ns/operator/metrics", { onlyStatus: false })).json().instanceCount === 50, 5000);
    await n3.stop({ keepData: true });
    restarted = await startServerProcess({ RUST_LOG: "info", RNACOS_RAFT_NODE_ID: "3", ...ENV }, { dataDir: n3.dataDir, httpPort: n3.httpPort, grpcPort: n3.grpcPort });
    // startServerProcess returns once the node is ready: by then it holds every instance.
    const m = (await http(restarted.httpUrl, "GET", "/nacos/v1/ns/operator/metrics", { onlyStatus: false })).json();
    assert.is(m.instanceCount, 50, `ready means the registry is loaded; the node said:\n${restarted.output().slice(-4000)}`);
    assert.is((await hostsOf(restarted.httpUrl, "distro.restart.3")).length, 10);
  } finally {
    await stopAll(nodes.slice(0, 2));
    if (restarted) await restarted.stop();
  }
});

t("a rolling restart (SIGTERM): the node says bye and asks its SDK clients to move; its client re-registers elsewhere with no gap anywhere, its HTTP services move at once", async () => {
  const nodes = await startCluster(3, { ...ENV, TNACOS_DISTRO_GRACE_MS: "5000" });
  const clients: { close(): void }[] = [];
  let watching = true;
  let watch: Promise<void> | undefined;
  try {
    const [n1, n2, n3] = nodes;
    const svc = { namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "distro.roll" };
    const inst = { ip: "10.6.0.3", port: 9200, weight: 1, enabled: true, healthy: true, ephemeral: true, clusterName: "DEFAULT", metadata: {} };
    // A service whose HTTP instances node 3 owns.
    const owned3 = Array.from({ length: 50 }, (_, i) => `distro.roll.http${i}`).find((n) => ownerOf(`public##DEFAULT_GROUP@@${n}`, [1, 2, 3]) === 3)!;
    assert.is((await http(n1.httpUrl, "POST", "/nacos/v1/ns/instance", { ip: "10.6.1.1", port: 80, serviceName: owned3 })).text, "ok");
    const on3 = await namingClient(n3.grpcPort);
    clients.push(on3);
    await on3.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst });
    await until("node 2 lists both", async () =>
      (await hostsOf(n2.httpUrl, "distro.roll")).length === 1 && (await hostsOf(n2.httpUrl, owned3)).length === 1, 5000);
    let gaps = 0;
    let polls = 0;
    watch = (async () => {
      while (watching) {
        const hosts = await hostsOf(n2.httpUrl, "distro.roll").catch(() => []);
        polls++;
        if (hosts.length === 0) gaps++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // What an SDK does when its server goes away: once the old connection is gone (here: node 3 has
    // exited), reconnect to another node and register again. Without the bye, node 3 would announce
    // the closed connection as removed and every node would drop the instance until then.
    assert.is(await n3.stop({ keepData: true }), 0, "node 3 stopped cleanly");
    // Before going, node 3 asked its SDK connection to move (the SDK then picks the next server).
    const reset = on3.received.find((m) => m.type === "ConnectResetRequest");
    assert.ok(reset, `node 3 sent ConnectResetRequest before it stopped; it sent ${on3.received.map((m) => m.type).join(", ")}`);
    assert.is(reset.body.serverIp, "", "no address: the client's next server");
    const moved = await namingClient(n1.grpcPort);
    clients.push(moved);
    await moved.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst });
    // Node 3's HTTP service has a new owner at once (no member expiry to wait for): a beat is answered quickly.
    const t0 = Date.now();
    const b = await http(n2.httpUrl, "PUT", "/nacos/v1/ns/instance/beat", { ip: "10.6.1.1", port: 80, serviceName: owned3 });
    assert.is(b.json().code, 10200, b.text);
    assert.ok(Date.now() - t0 < 1500, `beat answered in ${Date.now() - t0} ms`);
    await new Promise((r) => setTimeout(r, 7000)); // past node 3's grace period: its old record is gone
    watching = false;
    await watch;
    assert.ok(polls > 50, `${polls} polls`);
    assert.is(gaps, 0, "the instance never disappeared from node 2");
    // Node 3's copy goes after its grace period (counted from its bye, or from its silence if the bye was lost).
    await until("node 3's old copy gone from node 2", async () => JSON.stringify(ips(await hostsOf(n2.httpUrl, "distro.roll"))) === JSON.stringify(["10.6.0.3:9200"]), 5_000);
    assert.ok((await hostsOf(n1.httpUrl, owned3))[0]?.healthy, "node 3's HTTP instance is still there and healthy");
  } finally {
    watching = false;
    await watch;
    for (const c of clients) c.close();
    await stopAll(nodes);
  }
});

t("with the other two nodes down, the last one still answers, registers, subscribes and pushes (AP)", async () => {
  const nodes = await startCluster(3, ENV);
  const clients: { close(): void }[] = [];
  try {
    const [n1, n2, n3] = nodes;
    const svc = { namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "distro.alone" };
    const inst = (ip: string) => ({ ip, port: 9100, weight: 1, enabled: true, healthy: true, ephemeral: true, clusterName: "DEFAULT", metadata: {} });
    const on1 = await namingClient(n1.grpcPort);
    clients.push(on1);
    await on1.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst("10.4.0.1") });
    assert.is((await http(n2.httpUrl, "POST", "/nacos/v1/ns/instance", { ip: "10.4.0.2", port: 9100, serviceName: "distro.alone" })).text, "ok");
    await until("both on node 1", async () => (await hostsOf(n1.httpUrl, "distro.alone")).length === 2, 5000);
    n2.kill("SIGKILL");
    n3.kill("SIGKILL");
    await Promise.all([n2.exited, n3.exited]);
    // Reads, new registrations (gRPC and HTTP, whoever owned the service) and subscriptions keep working.
    const sub = await namingClient(n1.grpcPort);
    clients.push(sub);
    const answer = await sub.request("SubscribeServiceRequest", { ...svc, subscribe: true, clusters: "" });
    assert.is(answer.body.resultCode, 200);
    const later = await namingClient(n1.grpcPort);
    clients.push(later);
    const r = await later.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst("10.4.0.3") });
    assert.is(r.body.resultCode, 200, JSON.stringify(r.body));
    assert.is((await http(n1.httpUrl, "POST", "/nacos/v1/ns/instance", { ip: "10.4.0.4", port: 9100, serviceName: "distro.alone" })).text, "ok");
    await until("the subscriber pushed the new instances", () => sub.pushes.some((m) => pushedIps(m).includes("10.4.0.3") && pushedIps(m).includes("10.4.0.4")), 10_000);
    const hosts = ips(await hostsOf(n1.httpUrl, "distro.alone"));
    assert.ok(hosts.includes("10.4.0.1:9100") && hosts.includes("10.4.0.3:9100") && hosts.includes("10.4.0.4:9100"), hosts.join(","));
    // The HTTP instance registered on the dead node 2 was taken over and is still listed, healthy.
    const kept = (await hostsOf(n1.httpUrl, "distro.alone")).find((h: { ip: string }) => h.ip === "10.4.0.2");
    assert.ok(kept?.healthy, "node 2's HTTP instance is still listed and healthy (protection window, then node 1 owns it)");
  } finally {
    for (const c of clients) c.close();
    await stopAll(nodes);
  }
});

t.run();
