/** Small shared pieces: loading state, error line, modal, namespace picker, pager. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { type Me, mayIn, nacos } from "./api.ts";
import { t } from "./i18n.ts";

/** `fn`'s answer, fetched again when `deps` change; nothing is fetched while `enabled` is false. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], enabled = true): { data?: T; error?: string; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    if (!enabled) return;
    fn().then((data) => live && setState({ data }), (e: Error) => live && setState({ error: e.message }));
    return () => {
      live = false;
    };
  }, [...deps, tick, enabled]);
  return { ...state, reload: useCallback(() => setTick((x) => x + 1), []) };
}

/** Runs an action, keeping its failure as the page's error line (cleared by the next success). */
export function useRun(): { error?: string; setError: (e?: string) => void; run: (fn: () => Promise<unknown>) => Promise<boolean> } {
  const [error, setError] = useState<string>();
  const run = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(undefined);
      return true;
    } catch (e) {
      setError((e as Error).message);
      return false;
    }
  };
  return { error, setError, run };
}

/** A row of text inputs and a search button; `onSearch` gets the trimmed values by name. */
export function SearchForm(props: { fields: { name: string; label: string; max: number; testid?: string }[]; onSearch: (v: Record<string, string>) => void }) {
  return (
    <form class="search" onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.target as HTMLFormElement);
      props.onSearch(Object.fromEntries(props.fields.map((x) => [x.name, String(f.get(x.name) ?? "").trim()])));
    }}>
      {props.fields.map((x) => <input name={x.name} placeholder={x.label} maxLength={x.max} data-testid={x.testid} />)}
      <button type="submit">{t("search")}</button>
    </form>
  );
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

/** The end of a form in a modal: its error, what it did (if done), cancel (close once done) and submit. */
export function FormFooter(props: { error?: string; done?: string; onClose: () => void; submit: string; testid: string }) {
  return (
    <>
      <ErrorLine error={props.error} />
      {props.done && <p class="ok" data-testid="transfer-result">{props.done}</p>}
      <div class="buttons">
        <button type="button" onClick={props.onClose}>{props.done ? t("close") : t("cancel")}</button>
        <button type="submit" class="primary" data-testid={props.testid}>{props.submit}</button>
      </div>
    </>
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

/**
 * The namespace the config and service pages work in (remembered across pages and reloads), once the
 * namespaces this user may read are known: undefined until then, so no page asks for one it cannot read.
 */
export function useNamespace(me: Me): { ns?: string; list?: Namespace[]; set: (ns: string) => void } {
  const { data } = useNamespaces(me);
  const [stored, setStored] = useState(() => localStorage.getItem("tnacos.ns") ?? "");
  const set = (v: string) => {
    localStorage.setItem("tnacos.ns", v);
    setStored(v);
  };
  if (!data) return { set };
  const ns = data.some((n) => n.namespace === stored) ? stored : data[0]?.namespace;
  return { ns, list: data, set };
}

export function NamespacePicker(props: { list?: Namespace[]; value?: string; onChange: (ns: string) => void }) {
  return (
    <label class="ns">
      {t("namespace")}{" "}
      <select data-testid="namespace" value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {(props.list ?? []).map((n) => <option value={n.namespace}>{n.namespaceShowName || "public"}{n.namespace ? ` (${n.namespace})` : ""}</option>)}
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
