/**
 * Create or edit one config: CodeMirror editor, then the diff against what is published before
 * publishing, as the formal version or as a beta / tag release; who listens to it.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, type Me, mayIn, nacos } from "../api.ts";
import { ErrorLine, Modal } from "../common.tsx";
import { Diff, Editor, TYPES } from "../editor.tsx";
import { t } from "../i18n.ts";
import { go, href, type Location } from "../router.ts";
import { BetaPanel, ListenersModal, type Release, ReleasePicker, releaseParams, releasedContent } from "./config-gray.tsx";

interface ConfigAll {
  content: string;
  type: string;
  desc?: string;
  md5: string;
  tagReleases?: string[];
}

export function ConfigEdit(props: { me: Me; loc: Location }) {
  const q = props.loc.query;
  const tenant = q.get("tenant") ?? "";
  const existing = q.has("dataId");
  const [dataId, setDataId] = useState(q.get("dataId") ?? "");
  const [group, setGroup] = useState(q.get("group") ?? "DEFAULT_GROUP");
  const [type, setType] = useState("text");
  const [desc, setDesc] = useState("");
  const [published, setPublished] = useState<ConfigAll>();
  const [content, setContent] = useState("");
  const [review, setReview] = useState<{ before: string }>();
  const [release, setRelease] = useState<Release>({ kind: "formal" });
  const [listeners, setListeners] = useState(false);
  const [error, setError] = useState<string>();
  const canWrite = mayIn(props.me, tenant, "w");

  useEffect(() => {
    if (!existing) return;
    nacos<ConfigAll>("GET", "/nacos/v1/cs/configs", { dataId, group, tenant, show: "all" }).then((c) => {
      setPublished(c);
      setContent(c.content);
      setType(c.type || "text");
      setDesc(c.desc ?? "");
    }, (e: ApiError) => setError(e.message));
  }, [existing]);

  const ref = { dataId, group, tenant };
  const startReview = () => releasedContent(ref, release, published?.content ?? "", published?.tagReleases ?? []).then((before) => setReview({ before }), (e: Error) => setError(e.message));
  const publish = async () => {
    try {
      // casMd5 guards the formal version only: a beta or tag release leaves it as it is.
      const cas = release.kind === "formal" ? published?.md5 : undefined;
      await nacos("POST", "/nacos/v1/cs/configs", { dataId, group, tenant, content, type, desc, casMd5: cas, ...releaseParams(release) });
      go("/configs");
    } catch (e) {
      setReview(undefined);
      setError((e as Error).message);
    }
  };
  const releaseReady = release.kind === "formal" || (release.kind === "beta" ? release.ips.trim() !== "" : release.tag.trim() !== "");
  return (
    <section>
      <h2>{existing ? `${t("edit")}: ${dataId}` : t("create")}</h2>
      <div class="form">
        <label>{t("dataId")}<input data-testid="dataId" value={dataId} disabled={existing} maxLength={256} onInput={(e) => setDataId((e.target as HTMLInputElement).value)} /></label>
        <label>{t("group")}<input data-testid="group" value={group} disabled={existing} maxLength={128} onInput={(e) => setGroup((e.target as HTMLInputElement).value)} /></label>
        <label>{t("type")}
          <select data-testid="type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            {TYPES.map((x) => <option value={x}>{x}</option>)}
          </select>
        </label>
        <label>{t("description")}<input value={desc} maxLength={256} onInput={(e) => setDesc((e.target as HTMLInputElement).value)} /></label>
      </div>
      {existing && <BetaPanel config={ref} canWrite={canWrite} />}
      {canWrite && existing && <ReleasePicker value={release} tags={published?.tagReleases ?? []} onChange={setRelease} />}
      {(published || !existing) && <Editor value={content} type={type} onChange={setContent} readOnly={!canWrite} />}
      <ErrorLine error={error} />
      <div class="buttons">
        <a href={href("/configs")}>{t("back")}</a>
        {existing && <a href={href("/history", { tenant, dataId, group })}>{t("history")}</a>}
        {existing && <button data-testid="show-listeners" onClick={() => setListeners(true)}>{t("listeners")}</button>}
        {canWrite && <button class="primary" data-testid="review" disabled={!dataId || !group || !releaseReady} onClick={startReview}>{t("reviewDiff")}</button>}
      </div>
      {review && (
        <Modal title={release.kind === "formal" ? t("diffTitle") : `${t("diffTitle")}: ${release.kind === "beta" ? t("releaseBeta") : `${t("releaseTag")} ${release.tag}`}`}
          wide onClose={() => setReview(undefined)}>
          {review.before === content && <p class="muted">{t("noChange")}</p>}
          <Diff before={review.before} after={content} type={type} />
          <div class="buttons">
            <button onClick={() => setReview(undefined)}>{t("cancel")}</button>
            <button class="primary" data-testid="confirm-publish" onClick={publish}>{t("confirmPublish")}</button>
          </div>
        </Modal>
      )}
      {listeners && <ListenersModal config={ref} md5={published?.md5} onClose={() => setListeners(false)} />}
    </section>
  );
}
