import { boot } from "../../src/boot.ts";
import { createProcessHost } from "../shared/host.ts";
import { createNodePlatform } from "./index.ts";

await boot(createNodePlatform(), createProcessHost());
