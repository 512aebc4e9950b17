/** UDP on node:dgram (Node, Bun and Deno all provide it). */
import * as dgram from "node:dgram";
import type { Udp, UdpSocket } from "../../src/ports/udp.ts";

export const nodeUdp: Udp = {
  bind(host, port, onMessage) {
    const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    return new Promise<UdpSocket>((resolve, reject) => {
      socket.once("error", reject);
      socket.on("message", (msg, rinfo) => onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { address: rinfo.address, port: rinfo.port }));
      socket.bind(port, host.replace(/^\[|\]$/g, ""), () => {
        socket.off("error", reject);
        // A datagram to a vanished client can come back as ICMP "port unreachable" (ECONNREFUSED): harmless.
        socket.on("error", () => {});
        resolve({
          port: socket.address().port,
          send(data, toPort, address) {
            socket.send(data, toPort, address, () => {});
          },
          close: () => new Promise<void>((done) => socket.close(() => done())),
        });
      });
    });
  },
};
