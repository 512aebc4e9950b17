/**
 * Access tokens: JWTs signed with HS256 (as Nacos's, so tools that peek inside see the usual shape),
 * keyed by the cluster's replicated secret, so a token made on one node is valid on every node. WebCrypto
 * (`crypto.subtle`, in Node, Bun and Deno alike) does the HMAC.
 */

const enc = new TextEncoder();
const dec = new TextDecoder();
const HEADER = b64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));

export interface TokenClaims {
  /** username */
  sub: string;
  /** expiry, seconds since the epoch */
  exp: number;
  /** a random id: each login its own token, so a logout (a revocation of one token) ends one session */
  jti?: string;
}

export class TokenSigner {
  private key: Promise<CryptoKey> | undefined;
  private keySecret = "";

  /** Signs with `secret` (hex); re-imports the key when the secret changes. */
  async sign(secret: string, claims: TokenClaims): Promise<string> {
    const body = `${HEADER}.${b64url(enc.encode(JSON.stringify(claims)))}`;
    const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await this.keyFor(secret), enc.encode(body)));
    return `${body}.${b64url(sig)}`;
  }

  /** The claims of a token this secret signed, or undefined (bad shape, bad signature). Expiry is the caller's to check. */
  async verify(secret: string, token: string): Promise<TokenClaims | undefined> {
    const parts = token.split(".");
    if (parts.length !== 3 || parts[0] !== HEADER || token.length > 4096) return undefined;
    const sig = fromB64url(parts[2]);
    if (!sig) return undefined;
    const good = await crypto.subtle.verify("HMAC", await this.keyFor(secret), sig, enc.encode(`${parts[0]}.${parts[1]}`));
    if (!good) return undefined;
    try {
      const c = JSON.parse(dec.decode(fromB64url(parts[1]) ?? new Uint8Array())) as TokenClaims;
      return typeof c.sub === "string" && typeof c.exp === "number" ? c : undefined;
    } catch {
      return undefined;
    }
  }

  private keyFor(secret: string): Promise<CryptoKey> {
    if (!this.key || secret !== this.keySecret) {
      this.keySecret = secret;
      this.key = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    }
    return this.key;
  }
}

/** 32 random bytes as hex: the cluster's token secret (made once, by a leader, then replicated). */
export function newSecret(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function b64url(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}
