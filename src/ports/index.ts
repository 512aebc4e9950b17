export type * from "./clock.ts";
export type * from "./fs.ts";
export type * from "./kv.ts";
export type * from "./log.ts";
export type * from "./net.ts";
export type * from "./platform.ts";
export type * from "./probe.ts";
export { LOG_LEVELS } from "./log.ts";
export type * from "./host.ts";
