/**
 * A fault-injecting TCP proxy in front of each cluster node's peer address, for partition tests on
 * loopback. Node i advertises the proxy's port (RNACOS_RAFT_NODE_ADDR) so every peer reaches it through
 * the proxy, while SDK clients connect to its gRPC port directly.
 *
 * Loopback connections all come from 127.0.0.1, so the proxy tells the dialing node apart by the
 * process that owns the dialing socket (Linux: /proc/net/tcp gives the socket's inode, /proc/<pid>/fd
 * the process holding it). A cut pair {a, b} refuses new connections between them in both directions
 * and destroys the open ones: a real, symmetric partition, with no cooperation from the nodes.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface NodeProcess {
  id: number;
  pid: () => number | undefined;
}

interface Piped {
  from: number | undefined;
  a: Socket;
  b: Socket;
}

export class PartitionProxies {
  private readonly servers: Server[] = [];
  private readonly open = new Set<Piped>();
  private readonly cuts = new Set<string>();
  private nodes: NodeProcess[] = [];
  readonly ports = new Map<number, number>();
  refused = 0;

  /** Starts one proxy per node id; `target(id)` is resolved per connection (a restarted node may move). */
  async start(ids: number[], target: (id: number) => number): Promise<void> {
    for (const id of ids) {
      const server = createServer((client) => this.accept(id, client, target(id)));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      this.servers.push(server);
      this.ports.set(id, (server.address() as { port: number }).port);
    }
  }

  /** Which processes are which nodes (set once the nodes run). */
  identify(nodes: NodeProcess[]): void {
    this.nodes = nodes;
  }

  /** Cuts every link between the two groups until heal(). */
  partition(a: number[], b: number[]): void {
    for (const x of a) for (const y of b) this.cuts.add(pairKey(x, y));
    for (const p of [...this.open]) {
      // Links opened before identify() learn their dialer now (its socket is still open).
      p.from ??= this.dialer(p.a);
      if (p.from !== undefined && this.cut(p.from, this.targetOf(p))) this.closePipe(p);
    }
  }

  heal(): void {
    this.cuts.clear();
  }

  async close(): Promise<void> {
    for (const p of this.open) this.closePipe(p);
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }

  private readonly targets = new WeakMap<Piped, number>();

  private targetOf(p: Piped): number {
    return this.targets.get(p) ?? -1;
  }

  private cut(x: number, y: number): boolean {
    return this.cuts.has(pairKey(x, y));
  }

  private accept(to: number, client: Socket, port: number): void {
    client.pause();
    const from = this.dialer(client);
    if (from !== undefined && this.cut(from, to)) {
      this.refused++;
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port });
    const p: Piped = { from, a: client, b: upstream };
    this.targets.set(p, to);
    this.open.add(p);
    const done = () => this.closePipe(p);
    client.on("error", done).on("close", done);
    upstream.on("error", done).on("close", done);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  private closePipe(p: Piped): void {
    if (!this.open.delete(p)) return;
    p.a.destroy();
    p.b.destroy();
  }

  /** The node whose process owns the other end of `client`, if it is one of ours. */
  private dialer(client: Socket): number | undefined {
    const inode = socketInode(client.remotePort ?? 0, client.localPort ?? 0);
    if (inode === undefined) return undefined;
    for (const n of this.nodes) {
      const pid = n.pid();
      if (pid !== undefined && ownsInode(pid, inode)) return n.id;
    }
    return undefined;
  }
}

function pairKey(x: number, y: number): string {
  return x < y ? `${x}-${y}` : `${y}-${x}`;
}

/** The inode of the socket whose local port is `localPort` and remote port `remotePort` (IPv4 or IPv6 loopback). */
function socketInode(localPort: number, remotePort: number): string | undefined {
  const want = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (f[1].endsWith(`:${want(localPort)}`) && f[2].endsWith(`:${want(remotePort)}`)) return f[9];
    }
  }
  return undefined;
}

function ownsInode(pid: number, inode: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  const target = `socket:[${inode}]`;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}
