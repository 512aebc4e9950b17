/** Cluster: Raft state of this node (leader, term, log) and the members with their health. */
import { nacos } from "../api.ts";
import { ErrorLine, useLoad } from "../common.tsx";
import { t } from "../i18n.ts";

interface RaftMetrics {
  id: number;
  state: string;
  current_term: number;
  last_log_index: number;
  last_applied: number;
  current_leader: number | null;
  leader_addr: string | null;
}

interface Member {
  ip: string;
  port: number;
  address: string;
  state: string;
  extendInfo?: Record<string, unknown>;
}

export function Cluster() {
  const raft = useLoad(() => nacos<RaftMetrics>("GET", "/nacos/v1/raft/metrics"), []);
  const members = useLoad(() => nacos<{ data: Member[] }>("GET", "/nacos/v1/core/cluster/nodes"), []);
  const r = raft.data;
  return (
    <section>
      <h2>{t("cluster")}</h2>
      <ErrorLine error={raft.error ?? members.error} />
      {r && (
        <dl class="facts" data-testid="raft">
          <dt>{t("member")}</dt><dd>{r.id}</dd>
          <dt>{t("state")}</dt><dd>{r.state}</dd>
          <dt>{t("leader")}</dt><dd>{r.current_leader ?? "-"} {r.leader_addr ? `(${r.leader_addr})` : ""}</dd>
          <dt>{t("term")}</dt><dd>{r.current_term}</dd>
          <dt>{t("lastLogIndex")}</dt><dd>{r.last_log_index}</dd>
          <dt>{t("applied")}</dt><dd>{r.last_applied}</dd>
        </dl>
      )}
      <table>
        <thead><tr><th>{t("address")}</th><th>{t("health")}</th><th>Raft</th></tr></thead>
        <tbody>
          {members.data?.data.map((m) => (
            <tr><td>{m.address}</td><td>{m.state}</td><td class="meta">{JSON.stringify(m.extendInfo?.raftMetaData ?? m.extendInfo ?? {})}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
