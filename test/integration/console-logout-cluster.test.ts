/**
 * Logout everywhere: on a real three-node cluster, a console session logged out on node 1 is refused
 * on node 3 (its console and its OpenAPI alike), because the logout is a revocation through the one
 * Raft log; a session that was not logged out keeps working on every node; and the revocation
 * survives a restart of the node that applied it.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { freePort, type ServerProcess, startServerProcess } from "../support/process.ts";
import { ConsoleClient } from "../support/console.ts";
import { startCluster, stopAll, useMetricsCredentials, waitVoters } from "./cluster-support.ts";
import { waitFor } from "./config-support.ts";

const t = suite<{ nodes: ServerProcess[]; consoles: string[] }>("console logout on a cluster");

t.before(async (ctx) => {
  useMetricsCredentials("admin", "admin");
  ctx.consoles = [];
  ctx.nodes = await startCluster(3, { RNACOS_ENABLE_OPEN_API_AUTH: "true" }, async (id) => {
    const port = await freePort();
    ctx.consoles[id - 1] = `http://127.0.0.1:${port}`;
    return { RNACOS_HTTP_CONSOLE_PORT: String(port) };
  });
});
t.after(async (ctx) => {
  await stopAll(ctx.nodes ?? []);
});

const tokenOf = (c: ConsoleClient) => c.cookie.replace(/^token=/, "");
/** The OpenAPI of `node` with `token` as accessToken. */
const sdkStatus = async (node: ServerProcess, token: string) =>
  (await fetch(`${node.httpUrl}/nacos/v1/console/namespaces?accessToken=${encodeURIComponent(token)}`)).status;

t("a token logged out on node 1 is refused on node 3; another session is not", async ({ nodes, consoles }) => {
  const one = new ConsoleClient(consoles[0]);
  // The first login can meet a cluster that has not replicated the token secret yet: retry briefly.
  await waitFor("a console login on node 1", async () => (await one.login("admin", "admin")).status === 200, 15_000);
  const other = new ConsoleClient(consoles[0]);
  assert.is((await other.login("admin", "admin")).status, 200);
  const token = tokenOf(one);
  // The same session works on node 3's console (as a bearer) and its OpenAPI.
  const three = new ConsoleClient(consoles[2]);
  three.cookie = one.cookie;
  await waitFor("the session valid on node 3", async () => (await three.call("GET", "/me")).body.data !== null, 10_000);
  assert.is(await sdkStatus(nodes[2], token), 200);

  assert.is((await one.call("POST", "/logout")).status, 200);
  assert.is((await new ConsoleClient(consoles[0]).call("GET", "/me")).body.data, null);
  await waitFor("node 3 refuses the logged-out session", async () => (await three.call("GET", "/nacos/v1/console/namespaces")).status === 401, 10_000);
  assert.is(await sdkStatus(nodes[2], token), 403);
  assert.is(await sdkStatus(nodes[1], token), 403);
  const stale = new ConsoleClient(consoles[0]);
  stale.cookie = `token=${token}`;
  assert.is((await stale.call("GET", "/nacos/v1/console/namespaces")).status, 401, "node 1 refuses it too");

  // The other session was not logged out: it still works on node 3.
  assert.is(await sdkStatus(nodes[2], tokenOf(other)), 200);
});

t("the revocation survives a restart of node 3", async ({ nodes, consoles }) => {
  // (No console on the restarted node: its OpenAPI is enough to see the revocation.)
  const c = new ConsoleClient(consoles[0]);
  assert.is((await c.login("admin", "admin")).status, 200);
  const token = tokenOf(c);
  assert.is((await c.call("POST", "/logout")).status, 200);
  await waitFor("node 3 refuses it", async () => (await sdkStatus(nodes[2], token)) === 403, 10_000);
  const old = nodes[2];
  assert.is(await old.stop({ keepData: true }), 0);
  nodes[2] = await startServerProcess({ RUST_LOG: "warn", RNACOS_RAFT_NODE_ID: "3", RNACOS_ENABLE_OPEN_API_AUTH: "true" },
    { dataDir: old.dataDir, httpPort: old.httpPort, grpcPort: old.grpcPort });
  await waitVoters(nodes, [1, 2, 3]);
  assert.is(await sdkStatus(nodes[2], token), 403);
});

t.run();
