/** The platform of the runtime running the tests, so each suite exercises node, bun and deno in turn. */
import type { Platform } from "../../src/ports/platform.ts";

export const runtime: "node" | "bun" | "deno" =
  "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

export async function currentPlatform(): Promise<Platform> {
  if (runtime === "bun") return (await import("../../platform/bun/index.ts")).createBunPlatform();
  if (runtime === "deno") {
    // Computed so tsc (the Node/Bun type world) does not load Deno's globals; deno check covers it.
    const denoIndex = "../../platform/deno/index.ts";
    return (await import(denoIndex)).createDenoPlatform();
  }
  return (await import("../../platform/node/index.ts")).createNodePlatform();
}
