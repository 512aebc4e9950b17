/**
 * Writing services and instance metadata from the console: create / edit a service (protect
 * threshold, metadata, selector), edit an instance's metadata, and the service's subscribers.
 * Metadata is edited as `key=value` lines and sent as the JSON object Nacos takes. Fields are
 * uncontrolled (defaultValue): Preact re-applies a `value` prop on every render, which would undo
 * what was typed whenever another field (the selector) re-renders the form.
 */
import { useState } from "preact/hooks";
import { nacos } from "../api.ts";
import { ErrorLine, FormFooter, Modal, useLoad } from "../common.tsx";
import { t } from "../i18n.ts";

export interface ServiceId {
  namespaceId: string;
  serviceName: string;
  groupName: string;
}

export interface ServiceDetailAnswer {
  protectThreshold: number;
  metadata: Record<string, string>;
  selector: { type: string; expression?: string };
}

export function metadataText(m: Record<string, string> | undefined): string {
  return Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`).join("\n");
}

/** `key=value` lines (blank lines ignored) as a JSON object; a line without `=` is an error, not dropped. */
export function metadataJson(text: string): string {
  const out: Record<string, string> = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(t("metadataLine", line.slice(0, 60)));
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return JSON.stringify(out);
}

/** Create (no `existing`) or edit a service. */
export function ServiceModal(props: { namespaceId: string; existing?: ServiceId & ServiceDetailAnswer; onClose: () => void; onSaved: () => void }) {
  const e = props.existing;
  const [selector, setSelector] = useState(e?.selector.type === "label" ? "label" : "none");
  const [error, setError] = useState<string>();
  return (
    <Modal title={e ? `${t("edit")}: ${e.serviceName}` : t("createService")} onClose={props.onClose}>
      <form class="stack" onSubmit={async (ev) => {
        ev.preventDefault();
        const f = new FormData(ev.target as HTMLFormElement);
        const s = (k: string) => String(f.get(k) ?? "").trim();
        try {
          const body = {
            namespaceId: props.namespaceId, serviceName: e?.serviceName ?? s("serviceName"), groupName: e?.groupName ?? (s("groupName") || "DEFAULT_GROUP"),
            protectThreshold: s("protectThreshold") || "0", metadata: metadataJson(s("metadata")),
            selector: JSON.stringify(selector === "label" ? { type: "label", expression: s("expression") } : { type: "none" }),
          };
          await nacos(e ? "PUT" : "POST", "/nacos/v1/ns/service", body);
          props.onSaved();
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        {!e && <label>{t("serviceName")}<input name="serviceName" required maxLength={256} data-testid="svc-name" /></label>}
        {!e && <label>{t("groupName")}<input name="groupName" placeholder="DEFAULT_GROUP" maxLength={128} /></label>}
        <label>{t("protectThreshold")}<input name="protectThreshold" type="number" min={0} max={1} step="0.01" defaultValue={String(e?.protectThreshold ?? 0)} data-testid="svc-threshold" /></label>
        <label>{t("metadata")}<textarea name="metadata" rows={4} placeholder="key=value" data-testid="svc-metadata" defaultValue={metadataText(e?.metadata)} /></label>
        <label>{t("selector")}
          <select value={selector} onChange={(x) => setSelector((x.target as HTMLSelectElement).value)} data-testid="svc-selector">
            <option value="none">none</option><option value="label">label</option>
          </select>
        </label>
        {selector === "label" && <label>{t("expression")}<input name="expression" defaultValue={e?.selector.expression ?? ""} maxLength={1024} data-testid="svc-expression" /></label>}
        <FormFooter error={error} onClose={props.onClose} submit={t("save")} testid="save-service" />
      </form>
    </Modal>
  );
}

export function MetadataModal(props: { title: string; value: Record<string, string>; onClose: () => void; onSave: (json: string) => Promise<unknown> }) {
  const [error, setError] = useState<string>();
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <form class="stack" onSubmit={async (ev) => {
        ev.preventDefault();
        try {
          await props.onSave(metadataJson(String(new FormData(ev.target as HTMLFormElement).get("metadata") ?? "")));
          props.onClose();
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        <textarea name="metadata" rows={6} placeholder="key=value" data-testid="instance-metadata" defaultValue={metadataText(props.value)} />
        <FormFooter error={error} onClose={props.onClose} submit={t("save")} testid="save-metadata" />
      </form>
    </Modal>
  );
}

interface Subscriber {
  addrStr: string;
  agent: string;
  app: string;
  ip: string;
  port: number;
}

export function Subscribers(props: { svc: ServiceId }) {
  const l = useLoad(() => nacos<{ subscribers: Subscriber[]; count: number }>("GET", "/nacos/v1/ns/service/subscribers", { ...props.svc, pageNo: 1, pageSize: 100 }), []);
  return (
    <div>
      <h3>{t("subscribers")} {l.data ? `(${l.data.count})` : ""}</h3>
      <ErrorLine error={l.error} />
      <table data-testid="subscribers">
        <thead><tr><th>{t("address")}</th><th>{t("app")}</th><th>{t("agent")}</th></tr></thead>
        <tbody>
          {l.data?.subscribers.map((s) => <tr><td>{s.addrStr}</td><td>{s.app}</td><td>{s.agent}</td></tr>)}
          {l.data?.subscribers.length === 0 && <tr><td colSpan={3} class="muted">{t("empty")}</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
