/** History of one config: versions with op type and user; view one, or roll back to it after a diff. */
import { useState } from "preact/hooks";
import { type Me, mayIn, nacos, type Page } from "../api.ts";
import { ErrorLine, Modal, Pager, useLoad, useRun } from "../common.tsx";
import { Diff, Editor } from "../editor.tsx";
import { t } from "../i18n.ts";
import { href, type Location } from "../router.ts";

interface HistoryRow {
  id: string;
  opType: string;
  srcUser: string;
  srcIp: string;
  lastModifiedTime: string;
  type: string;
  content: string | null;
}

export function History(props: { me: Me; loc: Location }) {
  const q = props.loc.query;
  const key = { dataId: q.get("dataId") ?? "", group: q.get("group") ?? "", tenant: q.get("tenant") ?? "" };
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<{ row: HistoryRow; current: { content: string; type: string } | null; rollback: boolean }>();
  const { error, run } = useRun();
  const list = useLoad(() => nacos<Page<HistoryRow>>("GET", "/nacos/v1/cs/history", { search: "accurate", ...key, pageNo: page, pageSize: 20 }), [page]);
  const canWrite = mayIn(props.me, key.tenant, "w");

  const show = (r: HistoryRow, rollback: boolean) => run(async () => {
    const row = await nacos<HistoryRow>("GET", "/nacos/v1/cs/history", { nid: r.id, ...key });
    const current = await nacos<{ content: string; type: string }>("GET", "/nacos/v1/cs/configs", { ...key, show: "all" }).catch(() => null);
    setOpen({ row, current, rollback });
  });
  const rollback = () => run(async () => {
    const { row, current } = open!;
    await nacos("POST", "/nacos/v1/cs/configs", { ...key, content: row.content ?? "", type: row.type || current?.type || "text" });
    setOpen(undefined);
    list.reload();
  });
  return (
    <section>
      <h2>{t("history")}: {key.dataId} <span class="muted">({key.group})</span></h2>
      <div class="buttons"><a href={href("/configs")}>{t("back")}</a></div>
      <p class="muted">{t("historyHint")}</p>
      <ErrorLine error={error ?? list.error} />
      <table>
        <thead><tr><th>ID</th><th>{t("opType")}</th><th>{t("opUser")}</th><th>{t("time")}</th><th>{t("actions")}</th></tr></thead>
        <tbody>
          {list.data?.pageItems.map((r) => (
            <tr data-testid={`history-${r.id}`}>
              <td>{r.id}</td><td>{r.opType.trim()}</td><td>{r.srcUser}</td><td>{new Date(r.lastModifiedTime).toLocaleString()}</td>
              <td class="actions">
                <button class="link" onClick={() => show(r, false)}>{t("view")}</button>
                {canWrite && <button class="link" data-testid="rollback" onClick={() => show(r, true)}>{t("rollback")}</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && <Pager page={page} pages={list.data.pagesAvailable} total={list.data.totalCount} onPage={setPage} />}
      {open && (
        <Modal title={open.rollback ? t("rollbackTitle") : `${t("view")} #${open.row.id}`} wide onClose={() => setOpen(undefined)}>
          {open.rollback
            ? <Diff before={open.current?.content ?? ""} after={open.row.content ?? ""} type={open.row.type || "text"} />
            : <Editor value={open.row.content ?? ""} type={open.row.type || "text"} readOnly />}
          <div class="buttons">
            <button onClick={() => setOpen(undefined)}>{t("cancel")}</button>
            {open.rollback && <button class="primary" data-testid="confirm-rollback" onClick={rollback}>{t("confirmPublish")}</button>}
          </div>
        </Modal>
      )}
    </section>
  );
}
