// A real Nacos SDK in a child Node process, driven by JSON lines on stdin and answering JSON lines on
// stdout, so the compat tests run the SDKs under Node (their supported runtime: one is a native napi
// addon) whatever runtime runs the tests, and can kill the client process outright.
// argv: <sdk: rust|node> <serverAddr host:httpPort>
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const require = createRequire(import.meta.url);
const [sdk, serverAddr] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const quietLogger = { info() {}, debug() {}, warn() {}, error() {}, log() {} };

let client;
if (sdk === "rust") {
  const { NacosNamingClient } = require("nacos-sdk-rust-binding-node");
  client = new NacosNamingClient({ serverAddr, namespace: "public", appName: "tnacos-compat", namingPushEmptyProtection: false });
} else {
  const { NacosNamingClient } = require("nacos");
  client = new NacosNamingClient({ serverList: serverAddr, namespace: "public", logger: quietLogger });
  await client.ready();
}

const strip = (list) => (list ?? []).map((i) => ({ ip: i.ip, port: i.port, healthy: i.healthy, weight: i.weight, clusterName: i.clusterName, metadata: i.metadata }));

async function run(cmd) {
  const { op, service, group } = cmd;
  if (sdk === "rust") {
    switch (op) {
      case "register": return client.registerInstance(service, group, cmd.instance);
      case "batch": return client.batchRegisterInstance(service, group, cmd.instances);
      case "deregister": return client.deregisterInstance(service, group, cmd.instance);
      case "getAll": return strip(await client.getAllInstances(service, group, null, cmd.subscribe ?? false));
      case "subscribe":
        return client.subscribe(service, group, null, (err, list) => out({ event: "push", service, err: err?.message, hosts: strip(list) }));
    }
  } else {
    switch (op) {
      case "register": return client.registerInstance(service, cmd.instance, group);
      case "deregister": return client.deregisterInstance(service, cmd.instance, group);
      case "getAll": return strip(await client.getAllInstances(service, group, cmd.clusters ?? "", cmd.subscribe ?? false));
      case "status": return client.getServerStatus();
      case "subscribe":
        return client.subscribe({ serviceName: service, groupName: group, clusters: cmd.clusters ?? "" }, (list) => out({ event: "push", service, hosts: strip(list) }));
      case "close": return client.close();
    }
  }
  throw new Error(`unknown op ${op}`);
}

out({ event: "ready" });
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  try {
    out({ id: cmd.id, ok: true, result: (await run(cmd)) ?? null });
  } catch (e) {
    out({ id: cmd.id, ok: false, error: String(e?.message ?? e) });
  }
}
