/** Users, their roles, and the permissions of roles (admins only; the server refuses others). */
import { type Me, nacos, type Page } from "../api.ts";
import { ErrorLine, useLoad, useRun } from "../common.tsx";
import { t } from "../i18n.ts";

export function Users(props: { me: Me; onPasswordChanged: () => void }) {
  const users = useLoad(() => nacos<Page<{ username: string }>>("GET", "/nacos/v1/auth/users", { pageNo: 1, pageSize: 500 }), []);
  const roles = useLoad(() => nacos<Page<{ role: string; username: string }>>("GET", "/nacos/v1/auth/roles", { pageNo: 1, pageSize: 500 }), []);
  const perms = useLoad(() => nacos<Page<{ role: string; resource: string; action: string }>>("GET", "/nacos/v1/auth/permissions", { pageNo: 1, pageSize: 500 }), []);
  const runner = useRun();
  const error = runner.error;
  const run = (fn: () => Promise<unknown>, after?: () => void) => runner.run(fn).then((ok) => {
    users.reload();
    roles.reload();
    perms.reload();
    if (ok) after?.();
  });
  const submit = (fn: (f: FormData) => Promise<unknown>, after?: () => void) => (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    run(() => fn(new FormData(form)).then(() => form.reset()), after);
  };
  const s = (f: FormData, k: string) => String(f.get(k) ?? "").trim();
  return (
    <section>
      <h2>{t("users")}</h2>
      <ErrorLine error={error ?? users.error} />
      <form class="search" onSubmit={submit((f) => nacos("POST", "/nacos/v1/auth/users", { username: s(f, "username"), password: String(f.get("password")) }))}>
        <input name="username" placeholder={t("username")} required maxLength={64} data-testid="new-username" />
        <input name="password" type="password" placeholder={t("password")} required maxLength={128} autocomplete="new-password" data-testid="new-password" />
        <button type="submit" class="primary" data-testid="create-user">{t("create")}</button>
      </form>
      <table>
        <thead><tr><th>{t("username")}</th><th>{t("roles")}</th><th>{t("actions")}</th></tr></thead>
        <tbody>
          {users.data?.pageItems.map((u) => (
            <tr data-testid={`user-${u.username}`}>
              <td>{u.username}</td>
              <td>{roles.data?.pageItems.filter((r) => r.username === u.username).map((r) => r.role).join(", ")}</td>
              <td class="actions">
                <form class="inline" onSubmit={submit((f) => nacos("PUT", "/nacos/v1/auth/users", { username: u.username, newPassword: String(f.get("pw")) }),
                  u.username === props.me.username ? props.onPasswordChanged : undefined)}>
                  <input name="pw" type="password" placeholder={t("newPassword")} required maxLength={128} autocomplete="new-password" />
                  <button type="submit" class="link">{t("changePassword")}</button>
                </form>
                {u.username !== props.me.username && (
                  <button class="link danger" onClick={() => confirm(t("confirmDelete", u.username)) && run(() => nacos("DELETE", "/nacos/v1/auth/users", { username: u.username }))}>{t("delete")}</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{t("roles")}</h2>
      <form class="search" onSubmit={submit((f) => nacos("POST", "/nacos/v1/auth/roles", { role: s(f, "role"), username: s(f, "username") }))}>
        <input name="role" placeholder={`${t("role")} (ROLE_ADMIN, developer, visitor, …)`} required maxLength={64} data-testid="role-name" />
        <input name="username" placeholder={t("username")} required maxLength={64} data-testid="role-user" />
        <button type="submit" class="primary" data-testid="add-role">{t("add")}</button>
      </form>
      <table>
        <thead><tr><th>{t("role")}</th><th>{t("username")}</th><th>{t("actions")}</th></tr></thead>
        <tbody>
          {roles.data?.pageItems.map((r) => (
            <tr>
              <td>{r.role}</td><td>{r.username}</td>
              <td class="actions"><button class="link danger" onClick={() => run(() => nacos("DELETE", "/nacos/v1/auth/roles", r))}>{t("delete")}</button></td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{t("permissions")}</h2>
      <form class="search" onSubmit={submit((f) => nacos("POST", "/nacos/v1/auth/permissions", { role: s(f, "role"), resource: s(f, "resource"), action: s(f, "action") }))}>
        <input name="role" placeholder={t("role")} required maxLength={64} data-testid="perm-role" />
        <input name="resource" placeholder={t("resourceHelp")} required maxLength={512} data-testid="perm-resource" />
        <select name="action" data-testid="perm-action"><option value="r">r</option><option value="w">w</option><option value="rw">rw</option></select>
        <button type="submit" class="primary" data-testid="add-permission">{t("add")}</button>
      </form>
      <table>
        <thead><tr><th>{t("role")}</th><th>{t("resource")}</th><th>{t("action")}</th><th>{t("actions")}</th></tr></thead>
        <tbody>
          {perms.data?.pageItems.map((p) => (
            <tr>
              <td>{p.role}</td><td>{p.resource}</td><td>{p.action}</td>
              <td class="actions"><button class="link danger" onClick={() => run(() => nacos("DELETE", "/nacos/v1/auth/permissions", p))}>{t("delete")}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
