import { test } from "uvu";
import * as assert from "uvu/assert";
import { KNOWN_SETTINGS, loadSettings, parseLogLevel, SETTINGS_DOC, SettingsError } from "../../src/settings.ts";
import { unknownSettingWarnings } from "../../src/settings-names.ts";
import { parseArgs, usage } from "../../src/cli.ts";

const ctx = { homeDir: "/home/u", isWindows: false };

test("defaults match rnacos: 8848, gRPC +1000, console +2000, raft node 1 auto-init", () => {
  const s = loadSettings({}, ctx);
  assert.is(s.httpPort, 8848);
  assert.is(s.grpcPort, 9848);
  assert.is(s.consolePort, 10848);
  assert.is(s.sdkHost, "0.0.0.0");
  assert.is(s.consoleHost, "0.0.0.0");
  assert.is(s.raftNodeId, 1);
  assert.is(s.raftAutoInit, true);
  assert.is(s.raftNodeAddr, "127.0.0.1:9848");
  assert.is(s.configMaxContent, 10485760);
  assert.is(s.namingHealthTimeoutSec, 15);
  assert.is(s.namingInstanceTimeoutSec, 30);
  assert.is(s.grpcDetectionTimeoutSec, 15);
  assert.is(s.logLevel, "info");
  assert.is(s.dataDir, "/home/u/.local/share/tnacos/nacos_db");
});

test("derived ports follow RNACOS_HTTP_PORT; explicit ones win", () => {
  const s = loadSettings({ RNACOS_HTTP_PORT: "8000" }, ctx);
  assert.is(s.grpcPort, 9000);
  assert.is(s.consolePort, 10000);
  const t = loadSettings({ RNACOS_HTTP_PORT: "8000", RNACOS_GRPC_PORT: "7000", RNACOS_HTTP_CONSOLE_PORT: "0" }, ctx);
  assert.is(t.grpcPort, 7000);
  assert.is(t.consolePort, 0);
});

test("one-port mode: off by default; the gRPC port may equal the HTTP port only with it on", () => {
  assert.is(loadSettings({}, ctx).onePort, false);
  const s = loadSettings({ TNACOS_ONE_PORT: "true", RNACOS_HTTP_PORT: "8000", RNACOS_GRPC_PORT: "8000" }, ctx);
  assert.is(s.onePort, true);
  assert.is(s.grpcPort, 8000);
  assert.is(s.raftNodeAddr, "127.0.0.1:8000", "peers reach it on the one port");
  assert.is(loadSettings({ TNACOS_ONE_PORT: "on" }, ctx).grpcPort, 9848, "the gRPC port keeps its default");
  assert.throws(() => loadSettings({ RNACOS_HTTP_PORT: "8000", RNACOS_GRPC_PORT: "8000" }, ctx), /RNACOS_GRPC_PORT=8000: the same as RNACOS_HTTP_PORT; set TNACOS_ONE_PORT=true/);
  assert.throws(() => loadSettings({ TNACOS_ONE_PORT: "maybe" }, ctx), /invalid TNACOS_ONE_PORT="maybe": expected true or false/);
  const onOnePort = { TNACOS_ONE_PORT: "true", RNACOS_HTTP_PORT: "8000", RNACOS_HTTP_CONSOLE_PORT: "8000", RNACOS_SDK_HOST: "0.0.0.0" };
  assert.is(loadSettings(onOnePort, ctx).consolePort, 8000);
  assert.throws(() => loadSettings({ ...onOnePort, RNACOS_CONSOLE_HOST: "127.0.0.1" }, ctx), /RNACOS_CONSOLE_HOST=127\.0\.0\.1: RNACOS_HTTP_CONSOLE_PORT = RNACOS_HTTP_PORT puts the console on the one port/);
});

test("a node id other than 1 does not auto-init; docker and windows use ./nacos_db", () => {
  assert.is(loadSettings({ RNACOS_RAFT_NODE_ID: "2" }, ctx).raftAutoInit, false);
  assert.is(loadSettings({ RNACOS_RUN_IN_DOCKER: "true" }, ctx).dataDir, "nacos_db");
  assert.is(loadSettings({}, { homeDir: "C:\\u", isWindows: true }).dataDir, "nacos_db");
  assert.is(loadSettings({ RNACOS_CONFIG_DB_DIR: "/x" }, ctx).dataDir, "/x", "legacy alias");
});

const bad: [string, string, RegExp][] = [
  ["RNACOS_HTTP_PORT", "abc", /integer port/],
  ["RNACOS_HTTP_PORT", "70000", /integer port/],
  ["RNACOS_GRPC_PORT", "-1", /integer port/],
  ["RNACOS_ENABLE_OPEN_API_AUTH", "maybe", /true or false/],
  ["RNACOS_RAFT_NODE_ID", "0", /positive integer/],
  ["RNACOS_RAFT_NODE_ADDR", "no-port", /host:port/],
  ["RNACOS_RAFT_JOIN_ADDR", "a:1,,", /host:port/],
  ["RNACOS_CONFIG_MAX_CONTENT", "10MB", /size in bytes/],
  ["RNACOS_SDK_HOST", "bad host!", /IP address/],
];
for (const [name, value, allowed] of bad) {
  test(`${name}=${value} is refused with one line naming it`, () => {
    try {
      loadSettings({ [name]: value }, ctx);
      assert.unreachable("should have thrown");
    } catch (e) {
      assert.instance(e, SettingsError);
      const msg = (e as Error).message;
      assert.ok(msg.includes(name) && msg.includes(JSON.stringify(value)), msg);
      assert.match(msg, allowed);
      assert.not.match(msg, /\n/);
    }
  });
}

test("empty-push protection settings: defaults on; ratio and windows validated", () => {
  const s = loadSettings({}, ctx);
  assert.is(s.namingPushEmptyProtection, true);
  assert.is(s.namingPushProtectWarmupSec, 30);
  assert.is(s.namingPushProtectWindowSec, 20);
  assert.is(s.namingPushProtectRatio, 0.5);
  assert.is(s.namingPushDelayMs, 500);
  const t = loadSettings({ TNACOS_NAMING_PUSH_EMPTY_PROTECTION: "false", TNACOS_NAMING_PUSH_PROTECT_RATIO: "0.8" }, ctx);
  assert.is(t.namingPushEmptyProtection, false);
  assert.is(t.namingPushProtectRatio, 0.8);
  assert.throws(() => loadSettings({ TNACOS_NAMING_PUSH_PROTECT_RATIO: "1.5" }, ctx), /TNACOS_NAMING_PUSH_PROTECT_RATIO="1.5"/);
});

test("a derived gRPC port past 65535 asks for an explicit one", () => {
  assert.throws(() => loadSettings({ RNACOS_HTTP_PORT: "65000" }, ctx), /RNACOS_GRPC_PORT/);
});

test("instance timeout below health timeout is refused", () => {
  assert.throws(() => loadSettings({ RNACOS_NAMING_HEALTH_TIMEOUT_SECOND: "20", RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND: "10" }, ctx),
    /RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND/);
});

test("Distro member expiry stays below the health timeout minus the beat interval (seed 003's rule)", () => {
  assert.is(loadSettings({}, ctx).distroMemberExpiryMs, 5_000, "default with the default 15 s health timeout");
  assert.throws(() => loadSettings({ TNACOS_DISTRO_MEMBER_EXPIRY_MS: "10000" }, ctx), /TNACOS_DISTRO_MEMBER_EXPIRY_MS=10000: must be below/);
  assert.is(loadSettings({ TNACOS_DISTRO_MEMBER_EXPIRY_MS: "9999" }, ctx).distroMemberExpiryMs, 9_999);
  // Unset with a short health timeout: shorter, never below 1 s.
  assert.is(loadSettings({ RNACOS_NAMING_HEALTH_TIMEOUT_SECOND: "8", RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND: "16" }, ctx).distroMemberExpiryMs, 2_000);
  assert.is(loadSettings({ RNACOS_NAMING_HEALTH_TIMEOUT_SECOND: "2", RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND: "4" }, ctx).distroMemberExpiryMs, 1_000);
  assert.throws(() => loadSettings({ TNACOS_DISTRO_SYNC_DELAY_MS: "5" }, ctx), /TNACOS_DISTRO_SYNC_DELAY_MS/);
});

test("RUST_LOG accepts plain levels and rnacos-style target lists", () => {
  assert.is(parseLogLevel("warn"), "warn");
  assert.is(parseLogLevel("DEBUG"), "debug");
  assert.is(parseLogLevel("trace"), "debug");
  assert.is(parseLogLevel("rnacos=debug,actix_web=info,error"), "error");
  assert.is(parseLogLevel("rnacos=warn"), "warn");
  assert.throws(() => parseLogLevel("loud"), /RUST_LOG="loud"/);
});

test("cli: -e / --env-file / --env-file=, --help, --version, unknown args", () => {
  assert.equal(parseArgs(["-e", "env03"]), { envFile: "env03", command: undefined, file: undefined, file2: undefined, help: false, version: false });
  assert.is(parseArgs(["verify", "-e", "env03"]).command, "verify");
  assert.equal(parseArgs(["restore", "x.bak", "-e", "env03"]), { envFile: "env03", command: "restore", file: "x.bak", file2: undefined, help: false, version: false });
  assert.throws(() => parseArgs(["restore"]), /restore needs the backup file/);
  assert.equal(parseArgs(["mysql-to-data", "d.sql", "o.data"]), { envFile: undefined, command: "mysql-to-data", file: "d.sql", file2: "o.data", help: false, version: false });
  assert.throws(() => parseArgs(["mysql-to-data", "d.sql"]), /mysql-to-data needs the mysqldump file and the file to write/);
  assert.throws(() => parseArgs(["backup", "a", "restore", "b"]), /unknown argument "restore"/);
  assert.is(parseArgs(["--env-file", "a"]).envFile, "a");
  assert.is(parseArgs(["--env-file=b"]).envFile, "b");
  assert.ok(parseArgs(["--help"]).help);
  assert.ok(parseArgs(["-V"]).version);
  assert.throws(() => parseArgs(["-e"]), /needs a file/);
  assert.throws(() => parseArgs(["--bogus"]), /unknown argument "--bogus"/);
});

test("--help and the README list every documented variable", async () => {
  // The README's settings table lists every one as well.
  const { readFileSync } = await import("node:fs");
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  for (const [name] of SETTINGS_DOC) assert.ok(readme.includes(`| \`${name}\` |`), `README settings table lacks ${name}`);
  const text = usage("9.9.9", SETTINGS_DOC);
  for (const [name] of SETTINGS_DOC) assert.ok(text.includes(name), name);
  assert.ok(text.includes("tnacos 9.9.9"));
});

test("a mistyped setting is named at start with the nearest known one; unrelated variables pass silently", () => {
  const env = { RNACOS_HTTP_PROT: "1234", TNACOS_GRPC_MAX_CONECTIONS: "5", RNACOS_SOMETHING_ELSE_ENTIRELY: "1", RNACOS_HTTP_PORT: "8000", RNACOS_CONFIG_DB_DIR: "/d", TNACOS_TEST_BINARY: "x", PATH: "/bin", HOME: "/h" };
  assert.equal(unknownSettingWarnings(env, KNOWN_SETTINGS), [
    "unknown setting RNACOS_HTTP_PROT is ignored (did you mean RNACOS_HTTP_PORT?)",
    "unknown setting RNACOS_SOMETHING_ELSE_ENTIRELY is ignored",
    "unknown setting TNACOS_GRPC_MAX_CONECTIONS is ignored (did you mean TNACOS_GRPC_MAX_CONNECTIONS?)",
  ]);
});

test.run();
