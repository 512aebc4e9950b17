/**
 * A hash router: `#/configs?tenant=x` → route "/configs" with its query. Hash routes keep every page
 * at the server's `/` (one asset to serve, works behind any path prefix).
 */
import { useEffect, useState } from "preact/hooks";

export interface Location {
  path: string;
  query: URLSearchParams;
}

function read(): Location {
  const h = location.hash.replace(/^#/, "") || "/";
  const q = h.indexOf("?");
  return { path: q < 0 ? h : h.slice(0, q), query: new URLSearchParams(q < 0 ? "" : h.slice(q + 1)) };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const on = () => setLoc(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return loc;
}

export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ""}`;
}

export function go(path: string, query: Record<string, string | undefined> = {}): void {
  location.hash = href(path, query);
}
