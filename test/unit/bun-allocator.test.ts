/**
 * The Bun entry point's restart with the allocator setting (platform/bun/allocator.ts): which argument
 * vector starts the same program again, when a restart happens, and that an operator's value wins.
 * The real restart (same PID, setting in the environment) is checked on a live server in
 * test/integration/startup.test.ts and on the compiled binary in binary.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ALLOCATOR_SETTING, type ProcessFacts, restartArgs, restartWithAllocatorSetting, wantsRestart } from "../../platform/bun/allocator.ts";

const BUN = "/usr/local/bin/bun";

function facts(over: Partial<ProcessFacts> = {}): ProcessFacts & { calls: [string, string[], Record<string, string>][] } {
  const calls: [string, string[], Record<string, string>][] = [];
  return {
    platform: "linux",
    env: { PATH: "/bin", RNACOS_HTTP_PORT: "8848" },
    execPath: BUN,
    execArgv: [],
    argv: [BUN, "/srv/tnacos/src/main.ts", "-e", "env03"],
    execve: ((file: string, args: string[], env: Record<string, string>) => {
      calls.push([file, args, env]);
    }) as ProcessFacts["execve"],
    calls,
    ...over,
  };
}

test("from source the restart runs the same script with the same runtime flags and arguments", () => {
  assert.equal(restartArgs(facts()), [BUN, "/srv/tnacos/src/main.ts", "-e", "env03"]);
  assert.equal(restartArgs(facts({ execArgv: ["--smol"] })), [BUN, "--smol", "/srv/tnacos/src/main.ts", "-e", "env03"]);
});

test("a compiled binary restarts as itself: its embedded entry point is not passed as an argument", () => {
  const argv = ["bun", "/$bunfs/root/tnacos", "--env-file", "/etc/tnacos.env"];
  assert.equal(restartArgs(facts({ execPath: "/opt/tnacos", argv })), ["/opt/tnacos", "--env-file", "/etc/tnacos.env"]);
  assert.equal(restartArgs(facts({ execPath: "C:/tnacos.exe", argv: ["bun", "B:/~BUN/root/tnacos.exe", "-e", "x"] })), ["C:/tnacos.exe", "-e", "x"]);
});

test("the command line the process was started with (Linux) is used as it is", () => {
  const cmdline = ["bun", "run", "src/main.ts", "-e", "env03"];
  assert.equal(restartArgs(facts({ cmdline, execArgv: ["--smol"] })), cmdline);
  assert.equal(restartArgs(facts({ cmdline: [] })), [BUN, "/srv/tnacos/src/main.ts", "-e", "env03"], "empty: rebuilt from argv");
});

test("no restart under the profiler or the inspector, given as flags or in BUN_OPTIONS", () => {
  for (const flag of ["--cpu-prof", "--cpu-prof-md", "--heap-prof", "--inspect", "--inspect-brk=9229"]) {
    assert.is(wantsRestart(facts({ execArgv: [flag] })), false, flag);
    assert.is(wantsRestart(facts({ env: { BUN_OPTIONS: `--smol ${flag}` } })), false, `BUN_OPTIONS ${flag}`);
  }
  assert.is(wantsRestart(facts({ execArgv: ["--smol"], env: { BUN_OPTIONS: "--smol" } })), true);
});

test("the restart adds the setting to the environment and keeps everything else", () => {
  const f = facts({ env: { PATH: "/bin", RNACOS_HTTP_PORT: "8848", GONE: undefined } });
  restartWithAllocatorSetting(f);
  assert.is(f.calls.length, 1);
  const [file, args, env] = f.calls[0];
  assert.is(file, BUN);
  assert.equal(args, [BUN, "/srv/tnacos/src/main.ts", "-e", "env03"]);
  assert.equal(env, { PATH: "/bin", RNACOS_HTTP_PORT: "8848", [ALLOCATOR_SETTING]: "1000" });
});

test("no restart when the operator set the variable (any value, even empty), on Windows, or without execve", () => {
  for (const v of ["10", "0", ""]) {
    const f = facts({ env: { [ALLOCATOR_SETTING]: v } });
    assert.is(wantsRestart(f), false, `value ${JSON.stringify(v)}`);
    restartWithAllocatorSetting(f);
    assert.is(f.calls.length, 0);
  }
  assert.is(wantsRestart(facts({ platform: "win32" })), false);
  assert.is(wantsRestart(facts({ execve: undefined })), false);
  assert.is(wantsRestart(facts({ platform: "darwin" })), true);
});

test("a failing execve leaves the process running as it is", () => {
  const f = facts({
    execve: (() => {
      throw new Error("ENOEXEC");
    }) as ProcessFacts["execve"],
  });
  restartWithAllocatorSetting(f); // returns instead of throwing
  assert.is(f.env[ALLOCATOR_SETTING], undefined, "the process's own environment is not touched");
});

test.run();
