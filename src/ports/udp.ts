/** UDP datagrams: the registry's push channel to Nacos 1.x clients (instance/list with udpPort). */
export interface UdpPeer {
  address: string;
  port: number;
}

export interface UdpSocket {
  /** The bound local port. */
  readonly port: number;
  send(data: Uint8Array, port: number, address: string): void;
  close(): Promise<void>;
}

export interface Udp {
  /** Binds `host:port` (0 = any free port); `onMessage` gets every datagram received. */
  bind(host: string, port: number, onMessage: (data: Uint8Array, from: UdpPeer) => void): Promise<UdpSocket>;
}
