/** Config list of a namespace: fuzzy search by data ID, group and content, create, edit, delete, history, clone, import, export. */
import { useState } from "preact/hooks";
import { type Me, mayIn, nacos, type Page } from "../api.ts";
import { ErrorLine, NamespacePicker, Pager, SearchForm, useLoad, useNamespace, useRun } from "../common.tsx";
import { CloneModal, ExportLink, ImportModal } from "./config-transfer.tsx";
import { t } from "../i18n.ts";
import { go, href } from "../router.ts";

interface ConfigRow {
  id: string;
  dataId: string;
  group: string;
  type: string;
  tenant: string;
}

export function Configs(props: { me: Me }) {
  const { ns, list: namespaces, set: setNs } = useNamespace(props.me);
  const [q, setQ] = useState({ dataId: "", group: "", content: "", page: 1 });
  const { error, run } = useRun();
  const [importing, setImporting] = useState(false);
  const [cloning, setCloning] = useState<ConfigRow>();
  const list = useLoad(() => nacos<Page<ConfigRow>>("GET", "/nacos/v1/cs/configs", {
    search: "blur", dataId: q.dataId ? `*${q.dataId}*` : "", group: q.group ? `*${q.group}*` : "", config_detail: q.content ? `*${q.content}*` : undefined, tenant: ns, pageNo: q.page, pageSize: 20,
  }), [ns, q], ns !== undefined);
  const canWrite = ns !== undefined && mayIn(props.me, ns, "w");
  const cloneTargets = (namespaces ?? []).filter((n) => n.namespace !== ns && mayIn(props.me, n.namespace, "w"));
  const remove = (c: ConfigRow) => {
    if (confirm(t("confirmDelete", c.dataId))) run(() => nacos("DELETE", "/nacos/v1/cs/configs", { dataId: c.dataId, group: c.group, tenant: ns ?? "" }).then(list.reload));
  };
  return (
    <section>
      <h2>{t("configs")}</h2>
      <div class="toolbar">
        <NamespacePicker list={namespaces} value={ns} onChange={setNs} />
        <SearchForm fields={[{ name: "dataId", label: t("dataId"), max: 256, testid: "search-dataId" }, { name: "group", label: t("group"), max: 128 },
          { name: "content", label: t("content"), max: 256, testid: "search-content" }]}
          onSearch={(v) => setQ({ dataId: v.dataId, group: v.group, content: v.content, page: 1 })} />
        {canWrite && <button class="primary" data-testid="create-config" onClick={() => go("/config", { tenant: ns })}>{t("create")}</button>}
        {ns !== undefined && <ExportLink ns={ns} dataId={q.dataId} group={q.group} />}
        {canWrite && <button data-testid="import" onClick={() => setImporting(true)}>{t("import")}</button>}
      </div>
      <ErrorLine error={error ?? list.error} />
      <table>
        <thead><tr><th>{t("dataId")}</th><th>{t("group")}</th><th>{t("type")}</th><th>{t("actions")}</th></tr></thead>
        <tbody>
          {list.data?.pageItems.map((c) => (
            <tr data-testid={`config-${c.dataId}`}>
              <td>{c.dataId}</td><td>{c.group}</td><td>{c.type}</td>
              <td class="actions">
                <a href={href("/config", { tenant: ns, dataId: c.dataId, group: c.group })}>{canWrite ? t("edit") : t("view")}</a>
                <a href={href("/history", { tenant: ns, dataId: c.dataId, group: c.group })}>{t("history")}</a>
                {cloneTargets.length > 0 && <button class="link" data-testid="clone" onClick={() => setCloning(c)}>{t("clone")}</button>}
                {canWrite && <button class="link danger" onClick={() => remove(c)}>{t("delete")}</button>}
              </td>
            </tr>
          ))}
          {list.data?.pageItems.length === 0 && <tr><td colSpan={4} class="muted">{t("empty")}</td></tr>}
        </tbody>
      </table>
      {importing && ns !== undefined && <ImportModal ns={ns} onClose={() => setImporting(false)} onDone={list.reload} />}
      {cloning && ns !== undefined && <CloneModal config={cloning} from={ns} targets={cloneTargets} onClose={() => setCloning(undefined)} />}
      {list.data && <Pager page={q.page} pages={list.data.pagesAvailable} total={list.data.totalCount} onPage={(page) => setQ({ ...q, page })} />}
    </section>
  );
}
