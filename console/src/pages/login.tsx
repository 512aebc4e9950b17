/** Login: user name, password and (when the server asks for it) the SVG captcha. */
import { useEffect, useState } from "preact/hooks";
import { own } from "../api.ts";
import { ErrorLine } from "../common.tsx";
import { t } from "../i18n.ts";

interface Captcha {
  enabled: boolean;
  id?: string;
  svg?: string;
}

export function Login(props: { onLogin: (defaultPassword: boolean) => void }) {
  const [captcha, setCaptcha] = useState<Captcha>({ enabled: false });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const fresh = () => own<Captcha>("GET", "/captcha").then(setCaptcha, (e: Error) => setError(e.message));
  useEffect(() => {
    fresh();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setBusy(true);
    try {
      const r = await own<{ defaultPassword: boolean }>("POST", "/login", {
        username: String(f.get("username")), password: String(f.get("password")),
        captchaId: captcha.id, captcha: captcha.enabled ? String(f.get("captcha")) : undefined,
      });
      props.onLogin(r.defaultPassword);
    } catch (err) {
      setError((err as Error).message);
      if (captcha.enabled) fresh(); // a captcha answers once
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h2>{t("title")}</h2>
      <label>{t("username")}<input name="username" autocomplete="username" required maxLength={64} /></label>
      <label>{t("password")}<input name="password" type="password" autocomplete="current-password" required maxLength={128} /></label>
      {captcha.enabled && (
        <label>
          {t("captcha")}
          <span class="captcha">
            <input name="captcha" required maxLength={8} autocomplete="off" />
            <img alt={t("captcha")} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(captcha.svg ?? "")}`} onClick={fresh} title={t("newCaptcha")} />
          </span>
        </label>
      )}
      <ErrorLine error={error} />
      <button type="submit" class="primary" disabled={busy}>{t("login")}</button>
    </form>
  );
}
