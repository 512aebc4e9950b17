import { boot } from "../../src/boot.ts";
import { createProcessHost } from "../shared/host.ts";
import { createDenoPlatform } from "./index.ts";

await boot(createDenoPlatform(), createProcessHost());
