/**
 * Child process for config-nacos-rust.test.ts: drives the Rust SDK binding through one scenario and
 * prints `RESULT <json>`. A child because the native addon keeps its threads (tokio, listener callbacks)
 * alive for the life of the process and has no way to release them: the test runner would never exit.
 */
import { createRequire } from "node:module";

interface Resp { namespace: string; dataId: string; group: string; content: string; contentType: string; md5: string }
interface RustConfigClient {
  getConfig(dataId: string, group: string): Promise<string>;
  getConfigResp(dataId: string, group: string): Promise<Resp>;
  publishConfig(dataId: string, group: string, content: string): Promise<boolean>;
  removeConfig(dataId: string, group: string): Promise<boolean>;
  addListener(dataId: string, group: string, fn: (err: Error | null, r: Resp) => void): Promise<void>;
}
type Ctor = new (opts: { serverAddr: string; namespace: string; appName?: string; username?: string; password?: string }) => RustConfigClient;

// The optional third argument is another node of the same cluster: the "other client's change" is
// made there, so the push to this SDK is fired by the node it is connected to applying the entry.
const [httpPort, namespace = "", otherHttpPort = httpPort] = process.argv.slice(2).filter((a) => !a.endsWith(".ts"));
const base = `http://127.0.0.1:${httpPort}`;
const otherBase = `http://127.0.0.1:${otherHttpPort}`;
const result: Record<string, unknown> = { steps: [] as string[] };
// TNACOS_RUST_AUTH=user:password: the SDK logs in with these, and this script's own HTTP calls carry them.
const [user, password] = (process.env.TNACOS_RUST_AUTH ?? "").split(":");
const creds: Record<string, string> = user ? { username: user, password } : {};
const credQ = user ? `&${new URLSearchParams(creds)}` : "";
const step = (s: string) => (result.steps as string[]).push(s);

async function waitFor(what: string, fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function main(): Promise<void> {
  let Client: Ctor;
  try {
    Client = (createRequire(import.meta.url)("nacos-sdk-rust-binding-node") as { NacosConfigClient: Ctor }).NacosConfigClient;
  } catch (e) {
    result.loadError = (e as Error).message;
    return;
  }
  // TNACOS_TEST_RUST_SDK_PORT: the port the SDK is given, when it is not the server's HTTP port. The SDK
  // has no gRPC port option (it dials the given port + 1000), so a one-port server on P is reached by
  // giving it P - 1000 (without auth it sends nothing to that port itself).
  const c = new Client({ serverAddr: `127.0.0.1:${process.env.TNACOS_TEST_RUST_SDK_PORT ?? httpPort}`, namespace, appName: "compat", ...creds });
  const dataId = `rust-${namespace || "public"}.json`;
  const tenantQ = namespace ? `&tenant=${namespace}` : "";
  const content = '{"from":"rust","多":"字节"}';
  result.published = await c.publishConfig(dataId, "DEFAULT_GROUP", content);
  result.got = await c.getConfig(dataId, "DEFAULT_GROUP");
  result.resp = await c.getConfigResp(dataId, "DEFAULT_GROUP");
  step("published and read");

  const seen: string[] = [];
  await c.addListener(dataId, "DEFAULT_GROUP", (err, r) => {
    if (!err && r) seen.push(r.content);
  });
  // The SDK registers the listener with a ConfigBatchListenRequest in the background.
  await waitFor("listener registered on the server", async () => {
    const q = await (await fetch(`${base}/nacos/v1/cs/configs/listener?dataId=${dataId}&group=DEFAULT_GROUP${tenantQ}${credQ}`)).json();
    return Object.keys(q.lisentersGroupkeyStatus).length > 0;
  });
  step("listener registered");
  result.republished = await c.publishConfig(dataId, "DEFAULT_GROUP", "changed by rust");
  await waitFor("change callback", () => seen.includes("changed by rust"));
  step("change callback");
  // A change made by another client (HTTP) reaches the Rust listener through a server push.
  const body = new URLSearchParams({ dataId, group: "DEFAULT_GROUP", content: "changed over http", ...(namespace ? { tenant: namespace } : {}), ...creds });
  await fetch(`${otherBase}/nacos/v1/cs/configs`, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
  await waitFor("push-driven callback", () => seen.includes("changed over http"));
  step("push-driven callback");
  result.removed = await c.removeConfig(dataId, "DEFAULT_GROUP");
  result.afterRemoveStatus = (await fetch(`${base}/nacos/v1/cs/configs?dataId=${dataId}&group=DEFAULT_GROUP${tenantQ}${credQ}`)).status;
  try {
    await c.getConfig(`never-${dataId}`, "DEFAULT_GROUP");
    result.absent = "returned";
  } catch (e) {
    result.absent = (e as Error).message;
  }
  step("removed");
}

main().then(
  () => {
    console.log(`RESULT ${JSON.stringify(result)}`);
    process.exit(0);
  },
  (e: Error) => {
    result.error = e.message;
    console.log(`RESULT ${JSON.stringify(result)}`);
    process.exit(0);
  },
);
