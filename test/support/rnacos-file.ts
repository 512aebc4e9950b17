/**
 * An rnacos transfer file written byte by byte from its layout (rnacos src/common/pb/transfer.proto,
 * src/transfer/model.rs, data_object.proto, the config/namespace/user models): an 8-byte big-endian
 * prefix (magic 0x6e61636f, format 0), then varint-length-prefixed protobuf messages, a TransferHeader
 * and TransferItems. Deliberately not built with tnacos's encoder.
 */
const utf8 = (s: string) => [...new TextEncoder().encode(s)];
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
/** tag (field number << 3 | wire type), then the payload. */
const len = (no: number, bytes: number[]) => [(no << 3) | 2, ...varint(bytes.length), ...bytes];
const num = (no: number, n: number) => [(no << 3) | 0, ...varint(n)];
const f32 = (no: number, v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return [(no << 3) | 5, ...b];
};
const framed = (msg: number[]) => [...varint(msg.length), ...msg];

/** Two configs (one with two versions, in namespace dev), a namespace, a developer user with Nacos's hash of "nacos", a persistent instance, a cache record. */
export function handMadeFile(): Uint8Array {
  const header = [
    ...num(1, 1), ...num(2, 1700000000000), ...len(3, utf8("r-nacos_0.7.0")),
    ...len(4, [...num(1, 1), ...len(2, utf8("T_CONFIG"))]),
    ...len(4, [...num(1, 2), ...len(2, utf8("T_USER"))]),
    ...len(5, utf8("{}")),
  ];
  const history = (id: number, content: string, t: number) => len(2, [...num(1, id), ...len(2, utf8(content)), ...num(3, t), ...len(4, utf8("alice"))]);
  const configValue = [...len(1, utf8("v: 2")), ...history(7, "v: 1", 1700000000000), ...history(8, "v: 2", 1700000100000), ...len(3, utf8("yaml")), ...len(4, utf8("the app"))];
  const items = [
    // By table id (from the header's map).
    [...num(2, 1), ...len(3, utf8("app.yaml\u0002G\u0002dev")), ...len(4, configValue)],
    [...len(1, utf8("T_CONFIG")), ...len(3, utf8("plain\u0002DEFAULT_GROUP")), ...len(4, len(1, utf8("x=1")))],
    [...len(1, utf8("T_NAMESPACE")), ...len(3, utf8("dev")), ...len(4, [...len(1, utf8("dev")), ...len(2, utf8("Development")), ...len(3, utf8("2"))])],
    [...num(2, 2), ...len(3, utf8("alice")), ...len(4, [
      ...len(1, utf8("alice")), ...len(3, utf8("Alice")), ...num(6, 1), ...len(7, utf8("1")),
      ...len(9, utf8("$2a$10$EuWPZHzz32dJN7jexM34MOeYirDdFAZm2kuWj7VEOJhhZkDrxfvUu")),
    ])],
    [...len(1, utf8("T_NAMING_INSTANCE")), ...len(4, framed([
      ...len(1, utf8("10.0.0.9")), ...num(2, 8080), ...f32(3, 2.5), ...num(4, 1), ...num(5, 1),
      ...len(7, [...len(1, utf8("zone")), ...len(2, utf8("a"))]),
      ...len(8, utf8("dev")), ...len(9, utf8("G")), ...len(10, utf8("orders")), ...len(11, utf8("c1")),
    ]))],
    [...len(1, utf8("T_CACHE")), ...len(3, utf8("k")), ...len(4, utf8("v"))],
  ];
  return Uint8Array.from([0x6e, 0x61, 0x63, 0x6f, 0, 0, 0, 0, ...framed(header), ...items.flatMap(framed)]);
}

