/**
 * A real partition between real processes: three nodes whose peer traffic runs through fault-injecting
 * proxies (test/support/partition-proxy.ts), node 3 cut off from nodes 1 and 2 in both directions.
 * While cut, every node keeps answering (the registry is AP) and always lists the instances of its own
 * connected clients; after the heal every node converges to the same registry, with HTTP instances
 * that kept beating still healthy on all of them.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { freePort, type ServerProcess, startServerProcess } from "../support/process.ts";
import { PartitionProxies } from "../support/partition-proxy.ts";
import { stopAll, waitVoters } from "./cluster-support.ts";
import { hostsOf, http, namingClient, until } from "./naming-support.ts";

const t = suite("distro partition (real processes, fault-injecting proxies)");

const ENV = {
  RUST_LOG: "warn", TNACOS_DISTRO_MEMBER_EXPIRY_MS: "2000", TNACOS_DISTRO_GRACE_MS: "1000", TNACOS_DISTRO_PROTECT_MS: "5000",
  TNACOS_NAMING_PUSH_PROTECT_WARMUP_SECOND: "0",
};
const SERVICES = ["part.a", "part.b", "part.c", "part.d", "part.e", "part.f"];

const pidOf = (s: ServerProcess) => {
  const m = /tnacos-pid=(\d+)/.exec(s.output());
  return m ? Number(m[1]) : undefined;
};

/** Every service's instances on one node, as sorted `service ip:port healthy` lines. */
async function view(n: ServerProcess): Promise<string[]> {
  const out: string[] = [];
  for (const svc of [...SERVICES, "part.grpc"]) {
    for (const h of await hostsOf(n.httpUrl, svc)) out.push(`${svc} ${h.ip}:${h.port} ${h.healthy}`);
  }
  return out.sort();
}

t("node 3 cut off and healed: every node answers throughout, lists its own clients, and all converge", async () => {
  const proxies = new PartitionProxies();
  const grpcPorts = new Map<number, number>();
  for (const id of [1, 2, 3]) grpcPorts.set(id, await freePort());
  await proxies.start([1, 2, 3], (id) => grpcPorts.get(id)!);
  const nodes: ServerProcess[] = [];
  const clients: { close(): void }[] = [];
  let beating = true;
  let beats: Promise<void> | undefined;
  try {
    for (const id of [1, 2, 3]) {
      const env: Record<string, string> = { ...ENV, RNACOS_RAFT_NODE_ID: String(id), RNACOS_RAFT_NODE_ADDR: `127.0.0.1:${proxies.ports.get(id)}` };
      if (id > 1) env.RNACOS_RAFT_JOIN_ADDR = `127.0.0.1:${proxies.ports.get(1)}`;
      nodes.push(await startServerProcess(env, { grpcPort: grpcPorts.get(id) }));
    }
    proxies.identify(nodes.map((n, i) => ({ id: i + 1, pid: () => pidOf(n) })));
    await waitVoters(nodes, [1, 2, 3]);
    const [n1, n2, n3] = nodes;

    // HTTP instances (owned by various nodes through the service hash), kept alive by beats sent to
    // node 1 and node 3 alternately, as 1.x clients with two server addresses do.
    for (const [i, svc] of SERVICES.entries()) {
      assert.is((await http(n1.httpUrl, "POST", "/nacos/v1/ns/instance", { ip: `10.8.0.${i + 1}`, port: 80, serviceName: svc })).text, "ok");
    }
    beats = (async () => {
      let k = 0;
      while (beating) {
        const n = nodes[k++ % 2 === 0 ? 0 : 2];
        await Promise.all(SERVICES.map((svc, i) => http(n.httpUrl, "PUT", "/nacos/v1/ns/instance/beat", { ip: `10.8.0.${i + 1}`, port: 80, serviceName: svc }).catch(() => undefined)));
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    // gRPC clients on node 1 and node 3.
    const svc = { namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "part.grpc" };
    const inst = (ip: string) => ({ ip, port: 9000, weight: 1, enabled: true, healthy: true, ephemeral: true, clusterName: "DEFAULT", metadata: {} });
    const c1 = await namingClient(n1.grpcPort);
    const c3 = await namingClient(n3.grpcPort);
    clients.push(c1, c3);
    await c1.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst("10.9.0.1") });
    await c3.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst("10.9.0.3") });
    const before = await until("one registry on all nodes before the cut", async () => {
      const vs = await Promise.all(nodes.map(view));
      return vs.every((v) => JSON.stringify(v) === JSON.stringify(vs[0])) && vs[0].length === SERVICES.length + 2 ? vs[0] : undefined;
    }, 10_000);
    assert.ok(before.every((l) => l.endsWith("true")), before.join("\n"));

    proxies.partition([3], [1, 2]);
    // During the cut (longer than member expiry + grace): both sides answer, each lists its own clients.
    const cutUntil = Date.now() + 6_000;
    let samples = 0;
    while (Date.now() < cutUntil) {
      const on1 = (await hostsOf(n1.httpUrl, "part.grpc")).map((h: { ip: string }) => h.ip);
      const on3 = (await hostsOf(n3.httpUrl, "part.grpc")).map((h: { ip: string }) => h.ip);
      assert.ok(on1.includes("10.9.0.1"), `node 1 lists its own client: ${on1}`);
      assert.ok(on3.includes("10.9.0.3"), `node 3 lists its own client: ${on3}`);
      assert.is((await http(n2.httpUrl, "GET", "/nacos/v1/ns/instance/list", { serviceName: "part.a" })).status, 200);
      samples++;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(samples > 10, `${samples} samples`);
    assert.ok(proxies.refused > 0, "the proxies really refused peer connections");
    // The cut is real: after member expiry + grace, node 1 no longer lists node 3's client.
    await until("node 3's client dropped on node 1 after the grace period", async () =>
      !(await hostsOf(n1.httpUrl, "part.grpc")).some((h: { ip: string }) => h.ip === "10.9.0.3"), 5_000);
    // A change on each side while cut.
    await c3.request("InstanceRequest", { ...svc, type: "registerInstance", instance: { ...inst("10.9.0.3"), weight: 2 } });
    const c1b = await namingClient(n1.grpcPort);
    clients.push(c1b);
    await c1b.request("InstanceRequest", { ...svc, type: "registerInstance", instance: inst("10.9.0.11") });

    proxies.heal();
    const healedAt = Date.now();
    const after = await until("one registry on all nodes after the heal", async () => {
      const vs = await Promise.all(nodes.map(view));
      return vs.every((v) => JSON.stringify(v) === JSON.stringify(vs[0])) ? vs[0] : undefined;
    }, 15_000);
    const converged = Date.now() - healedAt;
    assert.equal(after.filter((l) => l.startsWith("part.grpc")), ["part.grpc 10.9.0.11:9000 true", "part.grpc 10.9.0.1:9000 true", "part.grpc 10.9.0.3:9000 true"].sort());
    assert.is(after.filter((l) => !l.startsWith("part.grpc") && l.endsWith("true")).length, SERVICES.length, `HTTP instances all healthy:\n${after.join("\n")}`);
    const w = (await hostsOf(n2.httpUrl, "part.grpc")).find((h: { ip: string }) => h.ip === "10.9.0.3");
    assert.is(w.weight, 2, "the change made on the cut-off side reached the others");
    assert.ok(converged < 15_000, `converged ${converged} ms after the heal`);
  } finally {
    beating = false;
    await beats;
    for (const c of clients) c.close();
    await stopAll(nodes);
    await proxies.close();
  }
});

t.run();
