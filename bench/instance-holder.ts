/**
 * Keeps instances registered for the bench's list rows, as an SDK does: one gRPC connection, set up
 * like a client's, with a batch registration; the instances live as long as the connection, with no
 * beats. (Instances registered over HTTP without beats are unhealthy after 15 s and gone after 30 s:
 * a list row that runs longer than that measured a shrinking, then empty list.)
 *
 *   node bench/instance-holder.ts --port <grpc> --service <name> --count N
 *
 * Prints "READY" once the batch is registered, then holds the connection until stdin closes or a signal.
 */
import process from "node:process";
import { connect, register, request } from "./grpc-wire.ts";

const arg = (k: string) => process.argv[process.argv.indexOf(`--${k}`) + 1];
const port = Number(arg("port"));
const service = arg("service");
const count = Math.min(1000, Math.max(1, Number(arg("count"))));
setTimeout(() => process.exit(3), 30 * 60_000).unref(); // never outlive a forgotten bench

const conn = await register(await connect(port), { module: "naming" });
const instances = Array.from({ length: count }, (_, i) => ({
  ip: `10.0.${Math.floor(i / 256)}.${i % 256}`, port: 8080, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: {},
}));
const r = await request(conn.session, "BatchInstanceRequest", { namespace: "public", serviceName: service, groupName: "DEFAULT_GROUP", type: "batchRegisterInstance", instances });
if (r.body.resultCode !== 200) {
  console.error(`BatchInstanceRequest: ${JSON.stringify(r.body)}`);
  process.exit(2);
}
console.log("READY");
const stop = () => {
  conn.close();
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
