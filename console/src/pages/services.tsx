/**
 * Services of a namespace with instance counts (create, edit, delete), and one service: its settings,
 * its instances (enable/disable, weight, metadata) and its subscribers.
 */
import { useState } from "preact/hooks";
import { type Me, mayIn, nacos } from "../api.ts";
import { ErrorLine, Modal, NamespacePicker, Pager, SearchForm, useLoad, useNamespace, useRun } from "../common.tsx";
import { t } from "../i18n.ts";
import { go, href, type Location } from "../router.ts";
import { MetadataModal, ServiceModal, type ServiceDetailAnswer, Subscribers } from "./service-edit.tsx";

interface ServiceRow {
  name: string;
  groupName: string;
  clusterCount: number;
  ipCount: number;
  healthyInstanceCount: number;
}

export function Services(props: { me: Me }) {
  const { ns, list: namespaces, set: setNs } = useNamespace(props.me);
  const [q, setQ] = useState({ name: "", group: "", page: 1 });
  const list = useLoad(() => nacos<{ count: number; serviceList: ServiceRow[] }>("GET", "/nacos/v1/ns/catalog/services", {
    namespaceId: ns, serviceNameParam: q.name, groupNameParam: q.group, pageNo: q.page, pageSize: 20,
  }), [ns, q], ns !== undefined);
  const [creating, setCreating] = useState(false);
  const canWrite = ns !== undefined && mayIn(props.me, ns, "w");
  return (
    <section>
      <h2>{t("services")}</h2>
      <div class="toolbar">
        <NamespacePicker list={namespaces} value={ns} onChange={setNs} />
        <SearchForm fields={[{ name: "name", label: t("serviceName"), max: 256, testid: "search-service" }, { name: "group", label: t("groupName"), max: 128 }]}
          onSearch={(v) => setQ({ name: v.name, group: v.group, page: 1 })} />
        {canWrite && <button class="primary" data-testid="create-service" onClick={() => setCreating(true)}>{t("createService")}</button>}
      </div>
      {creating && ns !== undefined && <ServiceModal namespaceId={ns} onClose={() => setCreating(false)} onSaved={() => {
        setCreating(false);
        list.reload();
      }} />}
      <ErrorLine error={list.error} />
      <table>
        <thead><tr><th>{t("serviceName")}</th><th>{t("groupName")}</th><th>{t("clusterCount")}</th><th>{t("ipCount")}</th><th>{t("healthyCount")}</th><th>{t("actions")}</th></tr></thead>
        <tbody>
          {list.data?.serviceList.map((s) => (
            <tr data-testid={`service-${s.name}`}>
              <td>{s.name}</td><td>{s.groupName}</td><td>{s.clusterCount}</td><td>{s.ipCount}</td><td>{s.healthyInstanceCount}</td>
              <td class="actions"><a href={href("/service", { namespaceId: ns, serviceName: s.name, groupName: s.groupName })}>{t("instances")}</a></td>
            </tr>
          ))}
          {list.data?.serviceList.length === 0 && <tr><td colSpan={6} class="muted">{t("empty")}</td></tr>}
        </tbody>
      </table>
      {list.data && <Pager page={q.page} pages={Math.ceil(list.data.count / 20)} total={list.data.count} onPage={(page) => setQ({ ...q, page })} />}
    </section>
  );
}

interface InstanceRow {
  instanceId: string;
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  clusterName: string;
  metadata: Record<string, string>;
}

export function ServiceDetail(props: { me: Me; loc: Location }) {
  const q = props.loc.query;
  const svc = { namespaceId: q.get("namespaceId") ?? "", serviceName: q.get("serviceName") ?? "", groupName: q.get("groupName") ?? "DEFAULT_GROUP" };
  const list = useLoad(() => nacos<{ list: InstanceRow[]; count: number }>("GET", "/nacos/v1/ns/catalog/instances", { ...svc, pageNo: 1, pageSize: 500 }), []);
  const detail = useLoad(() => nacos<ServiceDetailAnswer>("GET", "/nacos/v1/ns/service", svc), []);
  const { error, run } = useRun();
  const [weightOf, setWeightOf] = useState<InstanceRow>();
  const [metaOf, setMetaOf] = useState<InstanceRow>();
  const [editing, setEditing] = useState(false);
  const canWrite = mayIn(props.me, svc.namespaceId, "w");
  const put = (i: InstanceRow, change: { enabled?: boolean; weight?: number; metadata?: string }) =>
    nacos("PUT", "/nacos/v1/ns/instance", {
      ...svc, ip: i.ip, port: i.port, clusterName: i.clusterName, ephemeral: i.ephemeral,
      weight: change.weight ?? i.weight, enabled: change.enabled ?? i.enabled, metadata: change.metadata ?? JSON.stringify(i.metadata ?? {}),
    }).then(list.reload);
  const update = (i: InstanceRow, change: { enabled?: boolean; weight?: number }) => run(() => put(i, change));
  const remove = () => {
    if (confirm(t("confirmDelete", svc.serviceName))) run(() => nacos("DELETE", "/nacos/v1/ns/service", svc).then(() => go("/services")));
  };
  const d = detail.data;
  return (
    <section>
      <h2>{t("instances")}: {svc.serviceName} <span class="muted">({svc.groupName})</span></h2>
      <div class="buttons">
        <a href={href("/services")}>{t("back")}</a>
        {canWrite && d && <button data-testid="edit-service" onClick={() => setEditing(true)}>{t("edit")}</button>}
        {canWrite && d && <button class="danger" data-testid="delete-service" onClick={remove}>{t("delete")}</button>}
      </div>
      {d && (
        <dl class="facts" data-testid="service-facts">
          <dt>{t("protectThreshold")}</dt><dd>{d.protectThreshold}</dd>
          <dt>{t("metadata")}</dt><dd class="meta">{Object.entries(d.metadata ?? {}).map(([k, v]) => `${k}=${v}`).join(", ") || "-"}</dd>
          <dt>{t("selector")}</dt><dd>{d.selector.type}{d.selector.expression ? `: ${d.selector.expression}` : ""}</dd>
        </dl>
      )}
      <ErrorLine error={error ?? list.error ?? detail.error} />
      <table>
        <thead><tr><th>{t("ip")}</th><th>{t("port")}</th><th>{t("cluster_")}</th><th>{t("weight")}</th><th>{t("healthy")}</th><th>{t("enabled")}</th><th>{t("ephemeral")}</th><th>{t("metadata")}</th><th>{t("actions")}</th></tr></thead>
        <tbody>
          {list.data?.list.map((i) => (
            <tr data-testid={`instance-${i.ip}-${i.port}`}>
              <td>{i.ip}</td><td>{i.port}</td><td>{i.clusterName}</td><td>{i.weight}</td>
              <td>{i.healthy ? t("yes") : t("no")}</td><td data-testid="enabled">{i.enabled ? t("yes") : t("no")}</td><td>{i.ephemeral ? t("yes") : t("no")}</td>
              <td class="meta">{Object.entries(i.metadata ?? {}).map(([k, v]) => `${k}=${v}`).join(", ")}</td>
              <td class="actions">
                {canWrite && <button class="link" data-testid="toggle" onClick={() => update(i, { enabled: !i.enabled })}>{i.enabled ? t("disable") : t("enable")}</button>}
                {canWrite && <button class="link" onClick={() => setWeightOf(i)}>{t("weight")}</button>}
                {canWrite && <button class="link" data-testid="edit-metadata" onClick={() => setMetaOf(i)}>{t("metadata")}</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Subscribers svc={svc} />
      {editing && d && <ServiceModal namespaceId={svc.namespaceId} existing={{ ...svc, ...d }} onClose={() => setEditing(false)} onSaved={() => {
        setEditing(false);
        detail.reload();
      }} />}
      {metaOf && <MetadataModal title={`${t("metadata")}: ${metaOf.ip}:${metaOf.port}`} value={metaOf.metadata} onClose={() => setMetaOf(undefined)}
        onSave={(json) => put(metaOf, { metadata: json })} />}
      {weightOf && (
        <Modal title={`${t("weight")}: ${weightOf.ip}:${weightOf.port}`} onClose={() => setWeightOf(undefined)}>
          <form onSubmit={(e) => {
            e.preventDefault();
            const w = Number(new FormData(e.target as HTMLFormElement).get("weight"));
            setWeightOf(undefined);
            update(weightOf, { weight: w });
          }}>
            <input name="weight" type="number" min={0} max={10000} step="0.1" value={weightOf.weight} data-testid="weight" />
            <div class="buttons"><button type="submit" class="primary">{t("save")}</button></div>
          </form>
        </Modal>
      )}
    </section>
  );
}
