/** Namespaces: list with config counts; admins create and delete. */
import { type Me, nacos } from "../api.ts";
import { ErrorLine, useNamespaces, useRun } from "../common.tsx";
import { t } from "../i18n.ts";

export function Namespaces(props: { me: Me }) {
  const list = useNamespaces(props.me);
  const runner = useRun();
  const error = runner.error;
  const run = (fn: () => Promise<unknown>) => runner.run(fn).then((ok) => ok && list.reload());
  const create = (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const f = new FormData(form);
    run(() => nacos("POST", "/nacos/v1/console/namespaces", {
      customNamespaceId: String(f.get("id")).trim(), namespaceName: String(f.get("name")).trim(), namespaceDesc: String(f.get("desc")),
    }).then(() => form.reset()));
  };
  return (
    <section>
      <h2>{t("namespaces")}</h2>
      {props.me.admin && (
        <form class="search" onSubmit={create}>
          <input name="id" placeholder={t("nsId")} maxLength={128} data-testid="ns-id" />
          <input name="name" placeholder={t("nsName")} required maxLength={128} data-testid="ns-name" />
          <input name="desc" placeholder={t("description")} maxLength={256} />
          <button type="submit" class="primary" data-testid="ns-create">{t("create")}</button>
        </form>
      )}
      <ErrorLine error={error ?? list.error} />
      <table>
        <thead><tr><th>{t("nsId")}</th><th>{t("nsName")}</th><th>{t("description")}</th><th>{t("configCount")}</th><th>{t("actions")}</th></tr></thead>
        <tbody>
          {list.data?.map((n) => (
            <tr data-testid={`ns-${n.namespace || "public"}`}>
              <td>{n.namespace}</td><td>{n.namespaceShowName}</td><td>{n.namespaceDesc}</td><td>{n.configCount}</td>
              <td class="actions">
                {props.me.admin && n.namespace !== "" && (
                  <button class="link danger" onClick={() => confirm(t("confirmDelete", n.namespace)) && run(() => nacos("DELETE", "/nacos/v1/console/namespaces", { namespaceId: n.namespace }))}>{t("delete")}</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
