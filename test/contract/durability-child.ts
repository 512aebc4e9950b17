/**
 * Child process for the real crash tests (kill -9 by the parent). Not a test file itself.
 *   kv <dir> <count>: writes <count> keys one by one into node:sqlite store "dur", printing the number
 *                     of acknowledged writes after each one resolves.
 *   kv-thread <dir> <count>: the same through the runtime's platform (its storage thread).
 *   fs <file> <count>: rewrites <file> <count> times with writeAtomic, printing each completed generation.
 */
import { createNodeFs } from "../../platform/shared/fs.ts";
import { createNodeSqliteKvFactory } from "../../platform/shared/kv-node-sqlite.ts";
import { currentPlatform } from "../support/platform.ts";
import { durabilityKey, durabilityValue, fsGeneration } from "./durability-data.ts";

const [mode, target, countArg] = process.argv.slice(2);
const count = Number(countArg);

if (mode === "kv" || mode === "kv-thread") {
  const kv = await (mode === "kv" ? createNodeSqliteKvFactory(target) : (await currentPlatform()).kv(target)).open("dur");
  for (let i = 0; i < count; i++) {
    await kv.set(durabilityKey(i), durabilityValue(i));
    process.stdout.write(`${i + 1}\n`);
  }
  await kv.close();
} else if (mode === "fs") {
  const fs = createNodeFs();
  for (let i = 1; i <= count; i++) {
    await fs.writeAtomic(target, fsGeneration(i));
    process.stdout.write(`${i}\n`);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
process.stdout.write("done\n");
