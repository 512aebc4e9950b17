/**
 * Instance metadata kept across re-registrations and restarts (RNACOS_NAMING_INSTANCE_METADATA_PERSISTENCE_ENABLE,
 * rnacos's ns_instance_meta): on a real process and a real restart on the same data directory, an
 * instance that comes back without metadata gets what it had, and a console edit wins over what the
 * client registers. With the switch off only edits are kept, and not across a restart.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServerProcess } from "../support/process.ts";
import { hostsOf, http } from "./naming-support.ts";

const NS = "/nacos/v1/ns";
const t = suite("instance metadata memory");

const metadataOf = async (base: string, service: string, ip: string) => (await hostsOf(base, service)).find((h) => h.ip === ip)?.metadata;

t("a restart: an empty re-registration gets its metadata back, a console edit wins over the client's", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tnacos-meta-"));
  const a = await startServerProcess({}, { dataDir });
  let reg = await http(a.httpUrl, "POST", `${NS}/instance`, { serviceName: "mm", ip: "10.3.0.1", port: 80, metadata: JSON.stringify({ version: "1.0", zone: "a" }) });
  assert.is(reg.text, "ok");
  reg = await http(a.httpUrl, "POST", `${NS}/instance`, { serviceName: "mm", ip: "10.3.0.2", port: 80, metadata: JSON.stringify({ v: "1" }) });
  assert.is(reg.text, "ok");
  const edit = await http(a.httpUrl, "PUT", `${NS}/instance`, { serviceName: "mm", ip: "10.3.0.2", port: 80, metadata: JSON.stringify({ tag: "edited" }) });
  assert.is(edit.text, "ok");
  // The client registers again with its own metadata: the edit stays.
  await http(a.httpUrl, "POST", `${NS}/instance`, { serviceName: "mm", ip: "10.3.0.2", port: 80, metadata: JSON.stringify({ v: "2" }) });
  assert.equal(await metadataOf(a.httpUrl, "mm", "10.3.0.2"), { tag: "edited" });
  assert.is(await a.stop({ keepData: true }), 0, a.output().slice(-2000));

  const b = await startServerProcess({}, { dataDir });
  try {
    assert.match(b.output(), /instance metadata remembered from the last run/, a.output().slice(-3000) + "\n----\n" + b.output().slice(-3000));
    await http(b.httpUrl, "POST", `${NS}/instance`, { serviceName: "mm", ip: "10.3.0.1", port: 80 });
    await http(b.httpUrl, "POST", `${NS}/instance`, { serviceName: "mm", ip: "10.3.0.2", port: 80, metadata: JSON.stringify({ v: "3" }) });
    await http(b.httpUrl, "POST", `${NS}/instance`, { serviceName: "mm", ip: "10.3.0.3", port: 80 });
    assert.equal(await metadataOf(b.httpUrl, "mm", "10.3.0.1"), { version: "1.0", zone: "a" }, "empty re-registration after a restart");
    assert.equal(await metadataOf(b.httpUrl, "mm", "10.3.0.2"), { tag: "edited" }, "the edit outlives the restart");
    assert.equal(await metadataOf(b.httpUrl, "mm", "10.3.0.3"), {}, "an instance never seen keeps what it sent");
    // Metadata sent explicitly is taken as sent.
    await http(b.httpUrl, "POST", `${NS}/instance`, { serviceName: "mm", ip: "10.3.0.1", port: 80, metadata: JSON.stringify({ version: "2.0" }) });
    assert.equal(await metadataOf(b.httpUrl, "mm", "10.3.0.1"), { version: "2.0" });
  } finally {
    await b.stop();
  }
});

t("switched off: edits are kept while the process runs, nothing is remembered across a restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tnacos-meta-off-"));
  const env = { RNACOS_NAMING_INSTANCE_METADATA_PERSISTENCE_ENABLE: "false" };
  const a = await startServerProcess(env, { dataDir });
  await http(a.httpUrl, "POST", `${NS}/instance`, { serviceName: "off", ip: "10.4.0.1", port: 80, metadata: JSON.stringify({ v: "1" }) });
  await http(a.httpUrl, "POST", `${NS}/instance`, { serviceName: "off", ip: "10.4.0.2", port: 80, metadata: JSON.stringify({ v: "1" }) });
  await http(a.httpUrl, "PUT", `${NS}/instance`, { serviceName: "off", ip: "10.4.0.2", port: 80, metadata: JSON.stringify({ tag: "edited" }) });
  await http(a.httpUrl, "POST", `${NS}/instance`, { serviceName: "off", ip: "10.4.0.1", port: 80 });
  await http(a.httpUrl, "POST", `${NS}/instance`, { serviceName: "off", ip: "10.4.0.2", port: 80, metadata: JSON.stringify({ v: "2" }) });
  assert.equal(await metadataOf(a.httpUrl, "off", "10.4.0.1"), {}, "registered metadata is not remembered when off");
  assert.equal(await metadataOf(a.httpUrl, "off", "10.4.0.2"), { tag: "edited" }, "an edit is kept in memory");
  assert.is(await a.stop({ keepData: true }), 0);
  const b = await startServerProcess(env, { dataDir });
  try {
    await http(b.httpUrl, "POST", `${NS}/instance`, { serviceName: "off", ip: "10.4.0.2", port: 80, metadata: JSON.stringify({ v: "3" }) });
    assert.equal(await metadataOf(b.httpUrl, "off", "10.4.0.2"), { v: "3" }, "nothing outlives the restart");
  } finally {
    await b.stop();
  }
});

t("a damaged naming-meta store: the node starts, says so, and keeps metadata in memory", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tnacos-meta-bad-"));
  writeFileSync(join(dataDir, "naming-meta.sqlite"), "this is not a SQLite database, just bytes ".repeat(200));
  const a = await startServerProcess({}, { dataDir });
  try {
    assert.match(a.output(), /instance metadata: the naming-meta store cannot be used/);
    await http(a.httpUrl, "POST", `${NS}/instance`, { serviceName: "bad", ip: "10.5.0.1", port: 80, metadata: JSON.stringify({ v: "1" }) });
    await http(a.httpUrl, "POST", `${NS}/instance`, { serviceName: "bad", ip: "10.5.0.1", port: 80 });
    assert.equal(await metadataOf(a.httpUrl, "bad", "10.5.0.1"), { v: "1" }, "remembered in memory");
  } finally {
    assert.is(await a.stop(), 0, a.output().slice(-2000));
  }
});

t.run();
