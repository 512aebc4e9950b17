/** Small shared pieces: loading state, error line, modal, namespace picker, pager. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { type Me, mayIn, nacos } from "./api.ts";
import { t } from "./i18n.ts";

export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): { data?: T; error?: string; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    fn().then((data) => live && setState({ data }), (e: Error) => live && setState({ error: e.message }));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((x) => x + 1), []) };
}

export function ErrorLine(props: { error?: string }) {
  return props.error ? <p class="error" role="alert">{props.error}</p> : null;
}

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class={props.wide ? "modal wide" : "modal"} role="dialog" aria-label={props.title}>
        <h3>{props.title}</h3>
        {props.children}
      </div>
    </div>
  );
}

export interface Namespace {
  namespace: string;
  namespaceShowName: string;
  namespaceDesc?: string;
  configCount: number;
  quota: number;
  type: number;
}

export function useNamespaces(me: Me) {
  return useLoad(async () => {
    const r = await nacos<{ data: Namespace[] }>("GET", "/nacos/v1/console/namespaces");
    return r.data.filter((n) => mayIn(me, n.namespace, "r"));
  }, [me.username]);
}

/** The namespace the config and service pages work in (remembered across pages and reloads). */
export function useCurrentNamespace(): [string, (ns: string) => void] {
  const [ns, setNs] = useState(() => localStorage.getItem("tnacos.ns") ?? "");
  return [ns, (v) => {
    localStorage.setItem("tnacos.ns", v);
    setNs(v);
  }];
}

export function NamespacePicker(props: { me: Me; value: string; onChange: (ns: string) => void }) {
  const { data } = useNamespaces(props.me);
  useEffect(() => {
    // A remembered namespace this user cannot read (another user logged in): fall back to the first readable.
    if (data && data.length && !data.some((n) => n.namespace === props.value)) props.onChange(data[0].namespace);
  }, [data]);
  return (
    <label class="ns">
      {t("namespace")}{" "}
      <select data-testid="namespace" value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {(data ?? []).map((n) => <option value={n.namespace}>{n.namespaceShowName || "public"} {n.namespace ? `(${n.namespace})` : ""}</option>)}
      </select>
    </label>
  );
}

export function Pager(props: { page: number; pages: number; total: number; onPage: (p: number) => void }) {
  return (
    <div class="pager">
      <span>{t("total")} {props.total}</span>
      <button disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>{t("prev")}</button>
      <span>{props.page} / {Math.max(1, props.pages)}</span>
      <button disabled={props.page >= props.pages} onClick={() => props.onPage(props.page + 1)}>{t("next")}</button>
    </div>
  );
}
