/**
 * Nacos endpoints take parameters from the query string or an x-www-form-urlencoded body, for any
 * method (Spring @RequestParam). Form bodies are decoded as UTF-8 whatever charset is declared: the
 * Node config client says GBK but sends UTF-8 (nacos-protocol.md §4.0). A name present in both keeps
 * the query's value: the servlet parameter map lists the query first and getParameter returns the first.
 *
 * Parsing walks the string once without splitting it, counts parameters against a cap (Tomcat's
 * maxParameterCount), and decodes a value only when a handler reads it: a body of millions of tiny
 * parameters is refused after the first thousand, not materialised.
 */
import type { HttpRequest } from "../../ports/net.ts";
import { metrics } from "../../lib/metrics.ts";

/** More parameters than the cap: answered 400 by the HTTP app. */
export class TooManyParams extends Error {
  override name = "TooManyParams";
}

let maxParams = 1_000;
const refused = metrics.counter("tnacos_http_refused_total", "HTTP requests refused before reaching a handler, by reason");

/** TNACOS_HTTP_MAX_PARAMS, set once at start-up. */
export function setMaxParams(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`max params must be a positive integer, got ${n}`);
  maxParams = n;
}

const parsed = new WeakMap<HttpRequest, Promise<Params>>();

export class Params {
  /** Decoded name → raw (still percent-encoded) value. */
  private readonly raw = new Map<string, string>();
  private count = 0;

  /** One parse per request: the auth guard and the route read the same body (which can be read once). */
  static from(req: HttpRequest): Promise<Params> {
    let p = parsed.get(req);
    if (!p) {
      p = Params.parse(req);
      parsed.set(req, p);
    }
    return p;
  }

  /** Parameters forwarded from another node (already decoded). */
  static fromEntries(entries: Iterable<[string, string]>): Params {
    const p = new Params();
    for (const [k, v] of entries) {
      if (typeof k !== "string" || typeof v !== "string") throw new Error("forwarded parameters must be strings");
      if (++p.count > maxParams) throw new TooManyParams(`too many parameters: more than ${maxParams} (TNACOS_HTTP_MAX_PARAMS)`);
      if (!p.raw.has(k)) p.raw.set(k, encodeURIComponent(v));
    }
    return p;
  }

  private static async parse(req: HttpRequest): Promise<Params> {
    const p = new Params();
    const q = req.url.indexOf("?");
    if (q >= 0) p.addAll(req.url.slice(q + 1));
    if (req.method !== "GET" && req.method !== "HEAD" && (req.header("content-type") ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      p.addAll(await req.text());
    }
    return p;
  }

  private addAll(encoded: string): void {
    let at = 0;
    while (at <= encoded.length) {
      let end = encoded.indexOf("&", at);
      if (end < 0) end = encoded.length;
      if (end > at) {
        if (++this.count > maxParams) {
          refused.inc({ reason: "too_many_params" });
          throw new TooManyParams(`too many parameters: more than ${maxParams} (TNACOS_HTTP_MAX_PARAMS)`);
        }
        const eq = encoded.indexOf("=", at);
        const hasValue = eq >= 0 && eq < end;
        const k = decode(encoded.slice(at, hasValue ? eq : end));
        if (!this.raw.has(k)) this.raw.set(k, hasValue ? encoded.slice(eq + 1, end) : "");
      }
      at = end + 1;
    }
  }

  get(name: string): string | undefined {
    const v = this.raw.get(name);
    return v === undefined ? undefined : decode(v);
  }

  /** Was `name` sent with broken percent-encoding (a stray '%')? Its value then holds the text undecoded. */
  malformed(name: string): boolean {
    const v = this.raw.get(name);
    return v !== undefined && tryDecode(v) === undefined;
  }

  /** Trimmed value, or undefined when absent or blank (naming helpers trim every value). */
  trimmed(name: string): string | undefined {
    const v = this.get(name)?.trim();
    return v === undefined || v === "" ? undefined : v;
  }

  has(name: string): boolean {
    return this.raw.has(name);
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [k, v] of this.raw) yield [k, decode(v)];
  }
}

function tryDecode(s: string): string | undefined {
  const plus = s.includes("+") ? s.replace(/\+/g, " ") : s;
  if (!plus.includes("%")) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return undefined;
  }
}

function decode(s: string): string {
  // A stray '%' is kept literally rather than failing the whole request, as servlet containers do;
  // fields where that would store something else than the client meant check malformed() and refuse.
  return tryDecode(s) ?? s.replace(/\+/g, " ");
}
