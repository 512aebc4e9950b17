import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ConfigItem } from "../../src/config/model.ts";
import { exportEntries, MetadataIllegal, parseExport, parseMetadataYaml } from "../../src/config/transfer-format.ts";

const item = (dataId: string, group: string, o: Partial<ConfigItem> = {}) => ({ dataId, group, content: `c-${dataId}`, type: "text", appName: "", desc: "", ...o }) as ConfigItem;

test("v2 metadata round-trips values that need quoting", () => {
  const tricky = ["yes", "123", "a: b", "#x", " lead", "中文", "it's", 'say "hi"', "line\nbreak", "null", "~", "-x", "1e3"];
  const items = tricky.map((desc, i) => item(`d${i}.yaml`, "G", { desc, appName: desc, type: "yaml" }));
  const meta = exportEntries(items, "v2").find((e) => e.name === ".metadata.yml")!;
  const back = parseExport([...exportEntries(items, "v2")]).items;
  assert.equal(back.map((b) => [b.desc, b.appName]), tricky.map((t) => [t, t]), meta.text);
});

test("SnakeYAML's own output and hand-written variants parse (quotes, CRLF, comments, nulls)", () => {
  const nacos = "metadata:\n- dataId: testData1\n  group: testGroup1\n  type: text\n- appName: testAppName\n  dataId: testData2\n  desc: test desc\n  group: testGroup2\n  type: yaml\n";
  assert.equal(parseMetadataYaml(nacos), [
    { dataId: "testData1", group: "testGroup1", type: "text" },
    { appName: "testAppName", dataId: "testData2", desc: "test desc", group: "testGroup2", type: "yaml" },
  ]);
  assert.equal(parseMetadataYaml("metadata:\r\n# c\r\n-   dataId: 'a''b'\r\n    group: \"g\\u00e9\"\r\n    type: json # trailing\r\n    desc: ~\r\n"), [{ dataId: "a'b", group: "gé", type: "json" }]);
  assert.equal(parseMetadataYaml("metadata: []\n"), []);
  for (const bad of ["", "other:\n", "metadata:\n  dataId: x\n", "metadata:\n- dataId: [x]\n", "metadata:\n- nope: 1\n", "metadata:\n- dataId: 'open\n"]) {
    assert.throws(() => parseMetadataYaml(bad), (e: Error) => e instanceof MetadataIllegal, JSON.stringify(bad));
  }
});

test("v1: .meta.yml appName lines with '~' for the last dot; types from the extension", () => {
  const entries = exportEntries([item("a.b.yml", "G", { appName: "shop" }), item("plain", "G")], "v1");
  assert.equal(entries.map((e) => e.name), ["G/a.b.yml", "G/plain", ".meta.yml"]);
  assert.is(entries[2].text, "G.a.b~yml.app=shop\r\n");
  const back = parseExport(entries);
  assert.equal(back.items.map((i) => [i.dataId, i.type, i.appName]), [["a.b.yml", "yaml", "shop"], ["plain", "text", ""]]);
  assert.equal(parseExport([{ name: "a/b/c", text: "" }, { name: "G/x.json", text: "{}" }]), {
    items: [{ group: "G", dataId: "x.json", content: "{}", type: "json", appName: "", desc: "" }], unrecognized: [{ itemName: "a/b/c" }],
  });
});

test.run();
