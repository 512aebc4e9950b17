/** The Probe port on node:net (all three runtimes support it) and fetch for HTTP checks. */
import { connect as netConnect } from "node:net";
import type { Probe } from "../../src/ports/probe.ts";

export const netProbe: Probe = {
  connect(host, port, timeoutMs) {
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        resolve(ok);
      };
      const sock = netConnect({ host, port });
      const timer = setTimeout(() => finish(false), timeoutMs);
      sock.once("connect", () => finish(true));
      sock.once("error", () => finish(false));
    });
  },
  async httpStatus(url, timeoutMs, headers = {}) {
    try {
      const r = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
      await r.body?.cancel();
      return r.status;
    } catch {
      return 0;
    }
  },
};
