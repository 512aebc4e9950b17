/**
 * rnacos's transfer file, with bytes written by hand (test/support/rnacos-file.ts) from its layout (src/common/pb/transfer.proto,
 * src/transfer/model.rs in rnacos: an 8-byte big-endian prefix, then length-delimited protobuf
 * messages), not by tnacos's encoder: the reader must take them, and the encoder's output must read back.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeTransferFile, encodeTransferFile } from "../../src/migrate/rnacos-file.ts";
import { transferToMigration } from "../../src/migrate/rnacos-tables.ts";
import { handMadeFile } from "../support/rnacos-file.ts";

test("a file written from the format spec reads into configs with versions, namespaces, users and instances", () => {
  const f = decodeTransferFile(handMadeFile(), 100);
  assert.is(f.fromSys, "r-nacos_0.7.0");
  assert.is(f.records.length, 6);
  const m = transferToMigration(f.records, 1);
  assert.equal(m.namespaces, [{ id: "dev", name: "Development", desc: "" }]);
  const app = m.configs[0];
  assert.equal([app.tenant, app.group, app.dataId, app.current?.content, app.current?.attrs.type, app.current?.attrs.desc], ["dev", "G", "app.yaml", "v: 2", "yaml", "the app"]);
  assert.equal(app.events.map((e) => e.op === "publish" && e.content), ["v: 1", "v: 2"]);
  assert.equal([m.configs[1].tenant, m.configs[1].current?.content], ["", "x=1"]);
  assert.equal(m.users, [{ username: "alice", passwordHash: "$2a$10$EuWPZHzz32dJN7jexM34MOeYirDdFAZm2kuWj7VEOJhhZkDrxfvUu" }]);
  assert.equal(m.roles, [{ role: "developer", username: "alice" }]);
  assert.equal(m.instances, [{ namespace: "dev", group: "G", service: "orders", instance: { ip: "10.0.0.9", port: 8080, weight: 2.5, enabled: true, healthy: true, ephemeral: false, clusterName: "c1", metadata: { zone: "a" } } }]);
  assert.equal(m.skipped, ["1 record(s) of table T_CACHE: tnacos has no such data"]);
});

test("the encoder's output reads back; damaged files are refused naming what is wrong", () => {
  const f = decodeTransferFile(handMadeFile(), 100);
  const again = decodeTransferFile(encodeTransferFile(f), 100);
  assert.equal(again.records, f.records);
  const bytes = handMadeFile();
  assert.throws(() => decodeTransferFile(bytes.subarray(0, bytes.length - 3), 100), /cut short or damaged/);
  const wrongMagic = bytes.slice();
  wrongMagic[0] = 0;
  assert.throws(() => decodeTransferFile(wrongMagic, 100), /not an rnacos transfer file/);
  const version = bytes.slice();
  version[7] = 9;
  assert.throws(() => decodeTransferFile(version, 100), /format version 9 is not supported/);
  assert.throws(() => decodeTransferFile(bytes, 3), /more than 3 records/);
});

test.run();
