// temporary profiling driver (not committed)
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { leaderOf, startCluster, stopAll } from "../test/integration/cluster-support.ts";
import { startServerProcess } from "../test/support/process.ts";
const n = Number(process.argv[2] ?? 3);
const secs = Number(process.argv[3] ?? 10);
const script = `counter = 0
local prefix = tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  local body = "dataId=p" .. prefix .. "-" .. counter .. "&group=BENCH&content=" .. string.rep("x", 480)
  return wrk.format("POST", "/nacos/v1/cs/configs", {["Content-Type"]="application/x-www-form-urlencoded"}, body)
end`;
writeFileSync("/tmp/prof/publish.lua", script);
const nodes = n === 1 ? [await startServerProcess({ RUST_LOG: "warn" })] : await startCluster(n, { RUST_LOG: "warn" });
const leader = n === 1 ? nodes[0] : await leaderOf(nodes);
const r = spawnSync("wrk", ["-t1", "-c32", `-d${secs}s`, "-s", "/tmp/prof/publish.lua", leader.httpUrl], { encoding: "utf8" });
console.log(r.stdout.split("\n").filter((l) => /Requests\/sec|Latency|Socket/.test(l)).join("\n"));
console.log("leader pid", leader.pid);
await stopAll(nodes);
