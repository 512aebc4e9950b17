/** Config list of a namespace: fuzzy search by data ID and group, create, edit, delete, history. */
import { useState } from "preact/hooks";
import { type Me, mayIn, nacos, type Page } from "../api.ts";
import { ErrorLine, NamespacePicker, Pager, SearchForm, useLoad, useNamespace, useRun } from "../common.tsx";
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
  const [q, setQ] = useState({ dataId: "", group: "", page: 1 });
  const { error, run } = useRun();
  const list = useLoad(() => nacos<Page<ConfigRow>>("GET", "/nacos/v1/cs/configs", {
    search: "blur", dataId: q.dataId ? `*${q.dataId}*` : "", group: q.group ? `*${q.group}*` : "", tenant: ns, pageNo: q.page, pageSize: 20,
  }), [ns, q], ns !== undefined);
  const canWrite = ns !== undefined && mayIn(props.me, ns, "w");
  const remove = (c: ConfigRow) => {
    if (confirm(t("confirmDelete", c.dataId))) run(() => nacos("DELETE", "/nacos/v1/cs/configs", { dataId: c.dataId, group: c.group, tenant: ns ?? "" }).then(list.reload));
  };
  return (
    <section>
      <h2>{t("configs")}</h2>
      <div class="toolbar">
        <NamespacePicker list={namespaces} value={ns} onChange={setNs} />
        <SearchForm fields={[{ name: "dataId", label: t("dataId"), max: 256, testid: "search-dataId" }, { name: "group", label: t("group"), max: 128 }]}
          onSearch={(v) => setQ({ dataId: v.dataId, group: v.group, page: 1 })} />
        {canWrite && <button class="primary" data-testid="create-config" onClick={() => go("/config", { tenant: ns })}>{t("create")}</button>}
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
                {canWrite && <button class="link danger" onClick={() => remove(c)}>{t("delete")}</button>}
              </td>
            </tr>
          ))}
          {list.data?.pageItems.length === 0 && <tr><td colSpan={4} class="muted">{t("empty")}</td></tr>}
        </tbody>
      </table>
      {list.data && <Pager page={q.page} pages={list.data.pagesAvailable} total={list.data.totalCount} onPage={(page) => setQ({ ...q, page })} />}
    </section>
  );
}
