/**
 * Acknowledged writes survive kill -9: 1,000 publishes (HTTP and gRPC, concurrent, so they are
 * group-committed), SIGKILL right after the last ack, restart on the same data dir: every config is
 * there with the right md5 and its history row. With the SQLite kv a batch is one transaction, so a
 * torn tail cannot exist inside the database (tail recovery is unit-tested in config-log.test.ts).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { md5Hex } from "../../src/lib/md5.ts";
import { startServerProcess } from "../support/process.ts";
import { openConfigConn, post } from "./config-support.ts";

const t = suite("config durability");
const N = 1000;
const content = (i: number) => `value-${i}-${"内容".repeat(i % 7)}`;

t("kill -9 right after 1,000 acknowledged publishes: all present with md5 and history after restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tnacos-cfg-dur-"));
  try {
    const a = await startServerProcess({ RUST_LOG: "warn" }, { dataDir });
    const conn = await openConfigConn(a.grpcPort);
    for (let base = 0; base < N; base += 50) {
      await Promise.all(Array.from({ length: 50 }, async (_, j) => {
        const i = base + j;
        if (i % 2 === 0) {
          const r = await post(`${a.httpUrl}/nacos/v1/cs/configs`, { dataId: `dur-${i}`, group: "DUR", content: content(i) });
          assert.is(r.status, 200, `publish ${i}`);
          await r.text();
        } else {
          const r = await conn.call("ConfigPublishRequest", { dataId: `dur-${i}`, group: "DUR", content: content(i) });
          assert.is(r.body.resultCode, 200, `publish ${i}`);
        }
      }));
    }
    a.kill("SIGKILL");
    const code = await a.exited;
    conn.close();
    assert.is(code, 137, "killed by SIGKILL");

    const b = await startServerProcess({ RUST_LOG: "warn" }, { dataDir });
    try {
      const page = await (await fetch(`${b.httpUrl}/nacos/v1/cs/configs?search=accurate&group=DUR&pageNo=1&pageSize=500`)).json();
      assert.is(page.totalCount, N);
      for (let i = 0; i < N; i += 1) {
        const r = await fetch(`${b.httpUrl}/nacos/v1/cs/configs?dataId=dur-${i}&group=DUR`);
        assert.is(r.status, 200, `dur-${i} present`);
        assert.is(await r.text(), content(i));
        assert.is(r.headers.get("content-md5"), md5Hex(content(i)));
        if (i % 10 === 0) {
          const h = await (await fetch(`${b.httpUrl}/nacos/v1/cs/history?search=accurate&dataId=dur-${i}&group=DUR`)).json();
          assert.is(h.totalCount, 1);
          assert.equal([h.pageItems[0].opType, h.pageItems[0].md5], ["I", md5Hex(content(i))]);
        }
      }
    } finally {
      await b.stop({ keepData: true });
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

t.run();
