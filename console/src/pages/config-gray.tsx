/**
 * What else hangs off one config besides its formal content: the beta release (served to the listed
 * client IPs only), tag releases (served to clients that ask for the tag), and who listens to it
 * (the listener query: client IPs and the md5 they hold).
 */
import { useState } from "preact/hooks";
import { nacos, nacosText } from "../api.ts";
import { ErrorLine, Modal, useLoad, useRun } from "../common.tsx";
import { t } from "../i18n.ts";

export type Release = { kind: "formal" } | { kind: "beta"; ips: string } | { kind: "tag"; tag: string };

export interface ConfigRef {
  dataId: string;
  group: string;
  tenant: string;
}

/** The content a release would replace: the beta or tag version if there is one, else nothing. */
export async function releasedContent(c: ConfigRef, r: Release, formal: string, tags: string[]): Promise<string> {
  if (r.kind === "formal") return formal;
  if (r.kind === "beta") {
    const b = await nacos<{ data: { content: string } | null }>("GET", "/nacos/v1/cs/configs", { ...c, beta: true });
    return b.data?.content ?? "";
  }
  // Only a tag that exists is asked for: a new one has nothing to replace.
  return tags.includes(r.tag.trim()) ? nacosText("/nacos/v1/cs/configs", { ...c, tag: r.tag.trim() }) : "";
}

/** The parameters that make a publish a beta or tag release. */
export function releaseParams(r: Release): Record<string, string> {
  if (r.kind === "beta") return { betaIps: r.ips.split(/[\s,]+/).filter(Boolean).join(",") };
  if (r.kind === "tag") return { tag: r.tag.trim() };
  return {};
}

export function ReleasePicker(props: { value: Release; tags: string[]; onChange: (r: Release) => void }) {
  const r = props.value;
  return (
    <div class="release">
      <label>{t("release")}
        <select data-testid="release" value={r.kind} onChange={(e) => {
          const kind = (e.target as HTMLSelectElement).value;
          props.onChange(kind === "beta" ? { kind, ips: "" } : kind === "tag" ? { kind, tag: "" } : { kind: "formal" });
        }}>
          <option value="formal">{t("releaseFormal")}</option>
          <option value="beta">{t("releaseBeta")}</option>
          <option value="tag">{t("releaseTag")}</option>
        </select>
      </label>
      {r.kind === "beta" && (
        <label>{t("betaIps")}<input data-testid="beta-ips" value={r.ips} maxLength={1024} placeholder="10.0.0.1,10.0.0.2"
          onInput={(e) => props.onChange({ kind: "beta", ips: (e.target as HTMLInputElement).value })} /></label>
      )}
      {r.kind === "tag" && (
        <label>{t("tagName")}<input data-testid="tag-name" value={r.tag} maxLength={64} list="tag-releases"
          onInput={(e) => props.onChange({ kind: "tag", tag: (e.target as HTMLInputElement).value })} /></label>
      )}
      {r.kind === "tag" && (
        <datalist id="tag-releases">{props.tags.map((x) => <option value={x} />)}</datalist>
      )}
    </div>
  );
}

/** The beta release now in force, if any, with a way to stop it (the clients on its IPs go back to the formal content). */
export function BetaPanel(props: { config: ConfigRef; canWrite: boolean }) {
  const beta = useLoad(() => nacos<{ data: { betaIps: string; md5: string } | null }>("GET", "/nacos/v1/cs/configs", { ...props.config, beta: true }), []);
  const { error, run } = useRun();
  const b = beta.data?.data;
  if (!b && !error) return null;
  return (
    <div class="panel" data-testid="beta-panel">
      {b && <span>{t("betaActive", b.betaIps)}</span>}
      {b && props.canWrite && (
        <button class="link danger" data-testid="stop-beta" onClick={() =>
          run(() => nacos("DELETE", "/nacos/v1/cs/configs", { ...props.config, beta: true }).then(beta.reload))}>{t("stopBeta")}</button>
      )}
      <ErrorLine error={error} />
    </div>
  );
}

export function ListenersModal(props: { config: ConfigRef; md5?: string; onClose: () => void }) {
  const [tick, setTick] = useState(0);
  const l = useLoad(() => nacos<{ lisentersGroupkeyStatus: Record<string, string> }>("GET", "/nacos/v1/cs/configs/listener", { ...props.config }), [tick]);
  const rows = Object.entries(l.data?.lisentersGroupkeyStatus ?? {});
  return (
    <Modal title={`${t("listeners")}: ${props.config.dataId}`} onClose={props.onClose}>
      <ErrorLine error={l.error} />
      <table data-testid="listeners">
        <thead><tr><th>{t("ip")}</th><th>MD5</th><th>{t("upToDate")}</th></tr></thead>
        <tbody>
          {rows.map(([ip, md5]) => <tr><td>{ip}</td><td class="meta">{md5}</td><td>{md5 === props.md5 ? t("yes") : t("no")}</td></tr>)}
          {l.data && rows.length === 0 && <tr><td colSpan={3} class="muted">{t("noListeners")}</td></tr>}
        </tbody>
      </table>
      <div class="buttons">
        <button onClick={() => setTick(tick + 1)}>{t("refresh")}</button>
        <button onClick={props.onClose}>{t("close")}</button>
      </div>
    </Modal>
  );
}
