/**
 * Moving configs in and out of a namespace, as Nacos's console does: export the search result as a
 * Nacos-format zip (exportV2: the zip Nacos 2.x and 3.x import), import such a zip with a policy for
 * configs that already exist, and clone one config into another namespace.
 */
import { useState } from "preact/hooks";
import { nacos, nacosUrl } from "../api.ts";
import { FormFooter, Modal, type Namespace } from "../common.tsx";
import { t } from "../i18n.ts";

const POLICIES = ["ABORT", "SKIP", "OVERWRITE"] as const;

/** Nacos's import / clone answer: `{code, message, data: {succCount, skipCount, failData}}`. */
interface TransferAnswer {
  code: number;
  message: string;
  data?: { succCount?: number; skipCount?: number; failData?: unknown[] };
}

function summary(a: TransferAnswer): string {
  if (a.code !== 200) throw new Error(a.message);
  return t("transferDone", String(a.data?.succCount ?? 0), String(a.data?.skipCount ?? 0), String(a.data?.failData?.length ?? 0));
}

export function ExportLink(props: { ns: string; dataId: string; group: string }) {
  // A plain link: the browser saves the zip itself (the session cookie goes along, same origin).
  const url = nacosUrl("/nacos/v1/cs/configs", {
    exportV2: true, tenant: props.ns, dataId: props.dataId ? `*${props.dataId}*` : "", group: props.group ? `*${props.group}*` : "",
  });
  return <a class="button" href={url} download data-testid="export">{t("export")}</a>;
}

function PolicyPicker() {
  return (
    <label>{t("samePolicy")}
      <select name="policy" data-testid="policy">{POLICIES.map((p) => <option value={p}>{t(`policy${p}`)}</option>)}</select>
    </label>
  );
}

export function ImportModal(props: { ns: string; onClose: () => void; onDone: () => void }) {
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  return (
    <Modal title={`${t("import")} → ${props.ns || "public"}`} onClose={props.onClose}>
      <form class="stack" onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.target as HTMLFormElement);
        const upload = new FormData();
        upload.set("file", f.get("file") as File);
        try {
          // namespace and policy in the query: the guard reads the target namespace there, never in the upload.
          const a = await nacos<TransferAnswer>("POST", "/nacos/v1/cs/configs", { import: true, namespace: props.ns, policy: String(f.get("policy")) }, { data: upload });
          setDone(summary(a));
          setError(undefined);
          props.onDone();
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        <input type="file" name="file" accept=".zip,application/zip" required data-testid="import-file" />
        <PolicyPicker />
        <FormFooter error={error} done={done} onClose={props.onClose} submit={t("import")} testid="confirm-import" />
      </form>
    </Modal>
  );
}

export function CloneModal(props: { config: { id: string; dataId: string; group: string }; from: string; targets: Namespace[]; onClose: () => void }) {
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const c = props.config;
  return (
    <Modal title={`${t("clone")}: ${c.group}/${c.dataId}`} onClose={props.onClose}>
      <form class="stack" onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.target as HTMLFormElement);
        const body = JSON.stringify([{ cfgId: c.id, dataId: String(f.get("dataId")).trim(), group: String(f.get("group")).trim() }]);
        try {
          const a = await nacos<TransferAnswer>("POST", "/nacos/v1/cs/configs", { clone: true, tenant: String(f.get("target")), policy: String(f.get("policy")) }, { data: body, type: "application/json" });
          setDone(summary(a));
          setError(undefined);
        } catch (err) {
          setError((err as Error).message);
        }
      }}>
        <label>{t("targetNamespace")}
          <select name="target" data-testid="clone-target">
            {props.targets.filter((n) => n.namespace !== props.from).map((n) => <option value={n.namespace}>{n.namespaceShowName || "public"}{n.namespace ? ` (${n.namespace})` : ""}</option>)}
          </select>
        </label>
        <label>{t("dataId")}<input name="dataId" defaultValue={c.dataId} maxLength={256} /></label>
        <label>{t("group")}<input name="group" defaultValue={c.group} maxLength={128} /></label>
        <PolicyPicker />
        <FormFooter error={error} done={done} onClose={props.onClose} submit={t("clone")} testid="confirm-clone" />
      </form>
    </Modal>
  );
}
