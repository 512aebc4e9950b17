/**
 * Nacos endpoints take parameters from the query string or an x-www-form-urlencoded body, for any
 * method (Spring @RequestParam). Form bodies are decoded as UTF-8 whatever charset is declared: the
 * Node config client says GBK but sends UTF-8 (nacos-protocol.md §4.0). A name present in both keeps
 * the query's value: the servlet parameter map lists the query first and getParameter returns the first.
 */
import type { HttpRequest } from "../../ports/net.ts";

export class Params {
  private readonly map = new Map<string, string>();

  static async from(req: HttpRequest): Promise<Params> {
    const p = new Params();
    const q = req.url.indexOf("?");
    if (q >= 0) p.addAll(req.url.slice(q + 1));
    const ct = req.header("content-type") ?? "";
    if (req.method !== "GET" && req.method !== "HEAD" && ct.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      p.addAll(await req.text());
    }
    return p;
  }

  private addAll(encoded: string): void {
    for (const part of encoded.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const k = decode(eq < 0 ? part : part.slice(0, eq));
      const v = decode(eq < 0 ? "" : part.slice(eq + 1));
      if (!this.map.has(k)) this.map.set(k, v);
    }
  }

  get(name: string): string | undefined {
    return this.map.get(name);
  }

  /** Trimmed value, or undefined when absent or blank (naming helpers trim every value). */
  trimmed(name: string): string | undefined {
    const v = this.map.get(name)?.trim();
    return v === undefined || v === "" ? undefined : v;
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

function decode(s: string): string {
  const plus = s.replace(/\+/g, " ");
  try {
    return decodeURIComponent(plus);
  } catch {
    // A stray '%' is kept literally rather than failing the whole request, as servlet containers do.
    return plus;
  }
}
