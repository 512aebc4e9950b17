/**
 * Bun's allocator (mimalloc) returns freed pages to the OS 10 ms after they are freed. A loaded cluster
 * node did that ~450 times a second (madvise from the JIT, GC and scavenger threads), paying for page
 * faults and TLB shootdowns afterwards; with `MIMALLOC_PURGE_DELAY=1000` a 3-node cluster wrote 10-12%
 * more (docs/decisions.md, "The allocator setting"). mimalloc reads its options once, before any
 * JavaScript runs, and Bun exports no way to change them later. So when the variable is absent, tnacos
 * re-executes itself once, in place (execve keeps the PID that supervisors and scripts track, the open
 * standard streams and the arguments), with the setting added. A value the operator set, any value, is
 * kept as it is and nothing is re-executed: `MIMALLOC_PURGE_DELAY=10` restores mimalloc's default.
 */

export const ALLOCATOR_SETTING = "MIMALLOC_PURGE_DELAY";
export const ALLOCATOR_VALUE = "1000";

export interface ProcessFacts {
  platform: string;
  env: Record<string, string | undefined>;
  execPath: string;
  execArgv: readonly string[];
  argv: readonly string[];
  /** The argument vector exactly as the process was started (Linux: /proc/self/cmdline), when known. */
  cmdline?: readonly string[];
  execve?: (file: string, args: string[], env: Record<string, string>) => never;
}

/**
 * Runtime flags under which no restart is made. JSC's sampling profiler (and the inspector) suspend the
 * main thread with a signal; one that arrives during execve stays pending and, with the new image's
 * default action, ends it ("Power failure", exit 158): seen in 2 of 5 starts under --cpu-prof.
 */
const NO_RESTART_FLAG = /^--(cpu-prof|heap-prof|inspect)/;

/**
 * The argument vector that starts this same program again: a compiled binary's second argument is its
 * embedded entry point (`/$bunfs/...`, or `B:/~BUN/...` on Windows), which the binary supplies itself;
 * from source it is the script, after the runtime's own flags.
 */
export function restartArgs(p: Pick<ProcessFacts, "execPath" | "execArgv" | "argv" | "cmdline">): string[] {
  // The exact command line when the kernel has it: flags that came from BUN_OPTIONS are in execArgv too,
  // and passing them again beside the same BUN_OPTIONS would double them.
  if (p.cmdline && p.cmdline.length > 0) return [...p.cmdline];
  const entry = p.argv[1] ?? "";
  const compiled = entry.startsWith("/$bunfs/") || entry.startsWith("B:/~BUN/");
  return compiled ? [p.execPath, ...p.argv.slice(2)] : [p.execPath, ...p.execArgv, ...p.argv.slice(1)];
}

/** Whether a restart with the allocator setting is wanted and possible here. */
export function wantsRestart(p: ProcessFacts): boolean {
  if (p.env[ALLOCATOR_SETTING] !== undefined) return false;
  if (p.platform !== "linux" && p.platform !== "darwin") return false; // no execve on Windows
  const flags = [...p.execArgv, ...(p.env.BUN_OPTIONS ?? "").split(/\s+/)];
  if (flags.some((f) => NO_RESTART_FLAG.test(f))) return false;
  return typeof p.execve === "function" && p.argv.length >= 2;
}

/**
 * Re-executes the process with the allocator setting when wanted; returns only when it did not (the
 * setting was given, the platform has no execve, or execve failed: the server then runs with mimalloc's
 * default, which is correct, only slower under write load).
 */
export function restartWithAllocatorSetting(p: ProcessFacts): void {
  if (!wantsRestart(p)) return;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.env)) if (v !== undefined) env[k] = v;
  env[ALLOCATOR_SETTING] = ALLOCATOR_VALUE;
  try {
    p.execve!(p.execPath, restartArgs(p), env);
  } catch {
    // Carry on in this process: nothing has started yet, and the setting is an optimisation.
  }
}
