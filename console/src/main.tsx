/** The console app: session check, navigation, language switch, pages by hash route. */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { type Me, own, setOnLoggedOut } from "./api.ts";
import { getLang, setLang, t } from "./i18n.ts";
import { go, href, useLocation } from "./router.ts";
import { Login } from "./pages/login.tsx";
import { Configs } from "./pages/configs.tsx";
import { ConfigEdit } from "./pages/config-edit.tsx";
import { History } from "./pages/history.tsx";
import { ServiceDetail, Services } from "./pages/services.tsx";
import { Namespaces } from "./pages/namespaces.tsx";
import { Users } from "./pages/users.tsx";
import { Cluster } from "./pages/cluster.tsx";
import { Monitor } from "./pages/monitor.tsx";
import "./style.css";

function App() {
  const loc = useLocation();
  const [me, setMe] = useState<Me | null>();
  const [lang, setLangState] = useState(getLang());
  const [defaultPassword, setDefaultPassword] = useState(sessionStorage.getItem("tnacos.defaultPassword") === "1");
  const refresh = () => own<Me | null>("GET", "/me").then(setMe, () => setMe(null));
  useEffect(() => {
    setOnLoggedOut(() => setMe(null));
    setLang(getLang());
    refresh();
  }, []);
  const flagDefault = (v: boolean) => {
    sessionStorage.setItem("tnacos.defaultPassword", v ? "1" : "0");
    setDefaultPassword(v);
  };
  if (me === undefined) return null;
  if (me === null) {
    return <Login key={lang} onLogin={(d) => {
      flagDefault(d);
      refresh();
      if (loc.path === "/") go("/configs");
    }} />;
  }
  const nav = [
    ["/configs", t("configs")], ["/services", t("services")], ["/namespaces", t("namespaces")],
    ...(me.admin ? [["/users", t("users")], ["/cluster", t("cluster")]] : []), ["/monitor", t("monitor")],
  ];
  const page = () => {
    switch (loc.path) {
      case "/config":
        return <ConfigEdit key={loc.query.toString()} me={me} loc={loc} />;
      case "/history":
        return <History key={loc.query.toString()} me={me} loc={loc} />;
      case "/services":
        return <Services me={me} />;
      case "/service":
        return <ServiceDetail key={loc.query.toString()} me={me} loc={loc} />;
      case "/namespaces":
        return <Namespaces me={me} />;
      case "/users":
        return <Users me={me} onPasswordChanged={() => flagDefault(false)} />;
      case "/cluster":
        return <Cluster />;
      case "/monitor":
        return <Monitor />;
      default:
        return <Configs me={me} />;
    }
  };
  return (
    <div class="shell" key={lang}>
      <header>
        <strong>{t("title")}</strong>
        <nav>{nav.map(([p, label]) => <a href={href(p)} class={loc.path.startsWith(p.slice(0, -1)) ? "active" : ""}>{label}</a>)}</nav>
        <span class="me">{me.username}{!me.writeAll && !me.admin && me.grants.every((g) => !g.action.includes("w")) ? ` (${t("readOnly")})` : ""}</span>
        <button class="link" data-testid="lang" onClick={() => {
          setLang(lang === "en" ? "zh" : "en");
          setLangState(getLang());
        }}>{t("language")}</button>
        <button class="link" data-testid="logout" onClick={() => own("POST", "/logout").finally(() => setMe(null))}>{t("logout")}</button>
      </header>
      {defaultPassword && <p class="warning" role="alert">{t("defaultPassword")}</p>}
      <main>{page()}</main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
