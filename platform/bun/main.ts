import { boot } from "../../src/boot.ts";
import { createProcessHost } from "../shared/host.ts";
import { createBunPlatform } from "./index.ts";

await boot(createBunPlatform(), createProcessHost());
