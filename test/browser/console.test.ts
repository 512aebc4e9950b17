/**
 * The web console in a real browser (Debian's chromium, headless, driven by playwright-core) against
 * a real server: log in, publish a config, edit it through the diff, roll it back from history, find a
 * registered instance and disable it, create a user with read-only access to one namespace and look
 * at what that user sees, switch the language. Any console error or page error fails the test. A
 * screenshot of every page goes to a temp dir (its path is printed). Runs once per `npm test` (not per
 * runtime): scripts/test.mjs installs chromium through scripts/browser-deps.sh when it is missing.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type Browser, chromium, type Page } from "playwright-core";
import type { ServerProcess } from "../support/process.ts";
import { startConsoleServer } from "../support/console.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const shots = mkdtempSync(join(tmpdir(), "tnacos-console-shots-"));
console.log(`\nconsole screenshots: ${shots}`);

function chromiumPath(): string {
  if (process.env.TNACOS_CHROMIUM) return process.env.TNACOS_CHROMIUM;
  return execFileSync("sh", [join(root, "scripts/browser-deps.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

interface Ctx {
  srv: ServerProcess;
  url: string;
  browser: Browser;
  page: Page;
  problems: string[];
  started: number;
}

const t = suite<Ctx>("console in a browser");
let shot = 0;
const snap = async (page: Page, name: string) => {
  await page.screenshot({ path: join(shots, `${String(++shot).padStart(2, "0")}-${name}.png`), fullPage: true });
};
const form = (o: Record<string, string>) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(o).toString() });

t.before(async (ctx) => {
  ctx.started = Date.now();
  const s = await startConsoleServer({ RNACOS_CONSOLE_ENABLE_CAPTCHA: "false" });
  ctx.srv = s.srv;
  ctx.url = s.consoleUrl;
  // Seed through the SDK port: a namespace with a config, a persistent instance to find and disable.
  const api = ctx.srv.httpUrl;
  assert.is((await fetch(`${api}/nacos/v1/console/namespaces`, form({ customNamespaceId: "ns1", namespaceName: "team-one" }))).status, 200);
  assert.is((await fetch(`${api}/nacos/v1/cs/configs`, form({ dataId: "team.properties", group: "G1", content: "k=v", tenant: "ns1", type: "properties" }))).status, 200);
  const reg = await fetch(`${api}/nacos/v1/ns/instance`, form({ serviceName: "orders", ip: "10.0.0.7", port: "8080", ephemeral: "false", weight: "1" }));
  assert.is(reg.status, 200, await reg.text());
  ctx.browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  ctx.problems = [];
  const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 860 } });
  ctx.page = await context.newPage();
  ctx.page.on("console", (m) => {
    if (m.type() === "error") ctx.problems.push(`console error: ${m.text()}`);
  });
  ctx.page.on("pageerror", (e) => ctx.problems.push(`page error: ${e.message}`));
  ctx.page.setDefaultTimeout(10_000);
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  const code = await ctx.srv.stop();
  if (code !== 0) throw new Error(`server exit ${code}:\n${ctx.srv.output().slice(-3000)}`);
  console.log(`console browser test: ${((Date.now() - ctx.started) / 1000).toFixed(1)} s; screenshots in ${shots}`);
});

t.after.each(({ problems }) => {
  assert.equal(problems, [], "no console or page errors");
});

const apiGet = async (ctx: Ctx, path: string, q: Record<string, string>) => (await fetch(`${ctx.srv.httpUrl}${path}?${new URLSearchParams(q)}`)).text();

async function login(page: Page, url: string, user: string, password: string) {
  await page.goto(`${url}/`);
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
  await page.waitForSelector("header");
}

t("log in (the default admin password is flagged)", async ({ page, url }) => {
  await page.goto(`${url}/`);
  await page.waitForSelector("form.login");
  await snap(page, "login");
  await login(page, url, "admin", "admin");
  await page.waitForSelector(".warning");
  assert.match(await page.textContent(".warning") ?? "", /default admin password/);
  await snap(page, "configs-empty");
});

t("publish a config through the editor and the diff", async ({ page }) => {
  await page.selectOption("[data-testid=namespace]", "");
  await page.click("[data-testid=create-config]");
  await page.fill("[data-testid=dataId]", "app.yaml");
  await page.selectOption("[data-testid=type]", "yaml");
  await page.click(".editor .cm-content");
  await page.keyboard.type("server:\n  port: 8080");
  await snap(page, "config-new");
  await page.click("[data-testid=review]");
  await page.waitForSelector("[data-testid=diff] .cm-mergeView");
  await snap(page, "config-new-diff");
  await page.click("[data-testid=confirm-publish]");
  await page.waitForSelector("[data-testid=config-app\\.yaml]");
  await snap(page, "configs");
});

t("edit it: the diff shows the change, then publish", async (ctx) => {
  const { page } = ctx;
  assert.is(await apiGet(ctx, "/nacos/v1/cs/configs", { dataId: "app.yaml", group: "DEFAULT_GROUP" }), "server:\n  port: 8080");
  await page.click("[data-testid=config-app\\.yaml] >> text=Edit");
  await page.waitForFunction(() => document.querySelector(".editor .cm-content")?.textContent?.includes("8080"));
  await page.click(".editor .cm-content");
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Backspace");
  await page.keyboard.type("1");
  await page.click("[data-testid=review]");
  await page.waitForSelector("[data-testid=diff] .cm-changedLine");
  await snap(page, "config-edit-diff");
  await page.click("[data-testid=confirm-publish]");
  await page.waitForSelector("[data-testid=config-app\\.yaml]");
  assert.is(await apiGet(ctx, "/nacos/v1/cs/configs", { dataId: "app.yaml", group: "DEFAULT_GROUP" }), "server:\n  port: 8081");
});

t("roll it back from history", async (ctx) => {
  const { page } = ctx;
  await page.click("[data-testid=config-app\\.yaml] >> text=History");
  await page.waitForSelector("[data-testid=rollback]");
  const rows = await page.$$("tbody tr");
  assert.is(rows.length, 2);
  await snap(page, "history");
  // Newest first: the second row is the first publish.
  await page.click("tbody tr:nth-child(2) [data-testid=rollback]");
  await page.waitForSelector("[data-testid=diff] .cm-changedLine");
  await snap(page, "history-rollback-diff");
  await page.click("[data-testid=confirm-rollback]");
  await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 3);
  assert.is(await apiGet(ctx, "/nacos/v1/cs/configs", { dataId: "app.yaml", group: "DEFAULT_GROUP" }), "server:\n  port: 8080");
});

t("search by content", async ({ page }) => {
  await page.click("header >> text=Configurations");
  await page.fill("[data-testid=search-content]", "port: 80");
  await page.keyboard.press("Enter");
  await page.waitForSelector("[data-testid=config-app\\.yaml]");
  await page.fill("[data-testid=search-content]", "no-such-text");
  await page.keyboard.press("Enter");
  await page.waitForSelector("td.muted");
  assert.is(await page.$("[data-testid=config-app\\.yaml]"), null);
  await page.fill("[data-testid=search-content]", "");
  await page.keyboard.press("Enter");
  await page.waitForSelector("[data-testid=config-app\\.yaml]");
});

async function editAndRelease(page: Page, release: "beta" | "tag", target: string, lastDigit: string) {
  await page.click("[data-testid=config-app\\.yaml] >> text=Edit");
  await page.waitForFunction(() => document.querySelector(".editor .cm-content")?.textContent?.includes("8080"));
  await page.selectOption("[data-testid=release]", release);
  await page.fill(release === "beta" ? "[data-testid=beta-ips]" : "[data-testid=tag-name]", target);
  await page.click(".editor .cm-content");
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Backspace");
  await page.keyboard.type(lastDigit);
  await page.click("[data-testid=review]");
  await page.waitForSelector("[data-testid=diff] .cm-mergeView");
  await snap(page, `config-${release}-diff`);
  await page.click("[data-testid=confirm-publish]");
  await page.waitForSelector("[data-testid=config-app\\.yaml]");
}

t("beta release to one IP, then stop it; a tag release", async (ctx) => {
  const { page } = ctx;
  const key = { dataId: "app.yaml", group: "DEFAULT_GROUP" };
  await editAndRelease(page, "beta", "10.9.9.9", "2");
  const beta = JSON.parse(await apiGet(ctx, "/nacos/v1/cs/configs", { ...key, beta: "true" })) as { data: { betaIps: string; content: string } };
  assert.equal([beta.data.betaIps, beta.data.content], ["10.9.9.9", "server:\n  port: 8082"]);
  assert.is(await apiGet(ctx, "/nacos/v1/cs/configs", key), "server:\n  port: 8080", "the formal version is untouched");
  await page.click("[data-testid=config-app\\.yaml] >> text=Edit");
  await page.waitForSelector("[data-testid=beta-panel] >> text=10.9.9.9");
  await snap(page, "config-beta-panel");
  await page.click("[data-testid=stop-beta]");
  await page.waitForSelector("[data-testid=beta-panel]", { state: "detached" });
  assert.is((JSON.parse(await apiGet(ctx, "/nacos/v1/cs/configs", { ...key, beta: "true" })) as { data: unknown }).data, null);
  await page.click("text=Back");
  await editAndRelease(page, "tag", "canary", "3");
  assert.is(await apiGet(ctx, "/nacos/v1/cs/configs", { ...key, tag: "canary" }), "server:\n  port: 8083");
  assert.equal((JSON.parse(await apiGet(ctx, "/nacos/v1/cs/configs", { ...key, show: "all" })) as { tagReleases: string[] }).tagReleases, ["canary"]);
  assert.is(await apiGet(ctx, "/nacos/v1/cs/configs", key), "server:\n  port: 8080");
});

t("listener query: a client long-polling the config shows up with its md5", async (ctx) => {
  const { page } = ctx;
  const md5 = createHash("md5").update("server:\n  port: 8080").digest("hex");
  const stop = new AbortController();
  const poll = fetch(`${ctx.srv.httpUrl}/nacos/v1/cs/configs/listener`, {
    ...form({ "Listening-Configs": `app.yaml\u0002DEFAULT_GROUP\u0002${md5}\u0001` }), headers: { ...form({}).headers, "Long-Pulling-Timeout": "30000" }, signal: stop.signal,
  }).catch(() => undefined);
  try {
    await page.click("[data-testid=config-app\\.yaml] >> text=Edit");
    await page.click("[data-testid=show-listeners]");
    await page.waitForSelector("[data-testid=listeners] >> text=127.0.0.1");
    assert.match(await page.textContent("[data-testid=listeners] tbody") ?? "", new RegExp(`127\\.0\\.0\\.1${md5}yes`));
    await snap(page, "config-listeners");
    await page.click(".modal >> text=Close");
    await page.click("text=Back");
  } finally {
    stop.abort();
    await poll;
  }
});

t("export the namespace as a Nacos zip, import it into another namespace", async (ctx) => {
  const { page } = ctx;
  await page.waitForSelector("[data-testid=config-app\\.yaml]");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export]")]);
  const zipPath = join(shots, "export.zip");
  await download.saveAs(zipPath);
  const bytes = readFileSync(zipPath);
  assert.is(bytes.subarray(0, 2).toString(), "PK");
  assert.ok(bytes.includes(Buffer.from("DEFAULT_GROUP/app.yaml")), "the zip names the config");
  await page.selectOption("[data-testid=namespace]", "ns1");
  await page.waitForSelector("[data-testid=config-team\\.properties]");
  await page.click("[data-testid=import]");
  await page.setInputFiles("[data-testid=import-file]", zipPath);
  await page.selectOption("[data-testid=policy]", "OVERWRITE");
  await page.click("[data-testid=confirm-import]");
  await page.waitForSelector("[data-testid=transfer-result]");
  assert.match(await page.textContent("[data-testid=transfer-result]") ?? "", /1 written/);
  await snap(page, "config-import");
  await page.click(".modal >> text=Close");
  await page.waitForSelector("[data-testid=config-app\\.yaml]");
  assert.is(await apiGet(ctx, "/nacos/v1/cs/configs", { dataId: "app.yaml", group: "DEFAULT_GROUP", tenant: "ns1" }), "server:\n  port: 8080");
});

t("clone a config into another namespace under a new data ID", async (ctx) => {
  const { page } = ctx;
  await page.click("[data-testid=config-team\\.properties] [data-testid=clone]");
  await page.selectOption("[data-testid=clone-target]", "");
  await page.fill(".modal input[name=dataId]", "team-copy.properties");
  await page.click("[data-testid=confirm-clone]");
  await page.waitForSelector("[data-testid=transfer-result]");
  await snap(page, "config-clone");
  await page.click(".modal >> text=Close");
  assert.is(await apiGet(ctx, "/nacos/v1/cs/configs", { dataId: "team-copy.properties", group: "G1" }), "k=v");
  await page.selectOption("[data-testid=namespace]", "");
});

t("find the registered instance and disable it", async (ctx) => {
  const { page } = ctx;
  await page.click("header >> text=Services");
  await page.fill("[data-testid=search-service]", "ord");
  await page.keyboard.press("Enter");
  await page.waitForSelector("[data-testid=service-orders]");
  assert.match(await page.textContent("[data-testid=service-orders]") ?? "", /orders.*DEFAULT_GROUP.*1.*1/);
  await snap(page, "services");
  await page.click("[data-testid=service-orders] >> text=Instances");
  await page.waitForSelector("[data-testid=instance-10\\.0\\.0\\.7-8080]");
  await page.click("[data-testid=instance-10\\.0\\.0\\.7-8080] [data-testid=toggle]");
  await page.waitForFunction(() => document.querySelector("[data-testid='instance-10.0.0.7-8080'] [data-testid=enabled]")?.textContent === "no");
  await snap(page, "instances");
  const list = JSON.parse(await apiGet(ctx, "/nacos/v1/ns/catalog/instances", { serviceName: "orders", pageNo: "1", pageSize: "10" })) as { list: { enabled: boolean }[] };
  assert.is(list.list[0].enabled, false);
});

t("edit the instance's metadata; the service's subscribers are listed", async (ctx) => {
  const { page } = ctx;
  // A 1.x-style subscriber: an instance list with a UDP port to push to.
  const sub = await fetch(`${ctx.srv.httpUrl}/nacos/v1/ns/instance/list?${new URLSearchParams({ serviceName: "orders", udpPort: "45678", clientIP: "127.0.0.1", app: "shop" })}`, {
    headers: { "User-Agent": "Nacos-Java-Client:v1.4.1" },
  });
  assert.is(sub.status, 200);
  await page.reload();
  await page.waitForSelector("[data-testid=subscribers] >> text=127.0.0.1:45678");
  assert.match(await page.textContent("[data-testid=subscribers]") ?? "", /shop/);
  await page.click("[data-testid=instance-10\\.0\\.0\\.7-8080] [data-testid=edit-metadata]");
  await page.fill("[data-testid=instance-metadata]", "zone=az1\nversion = 2");
  await page.click("[data-testid=save-metadata]");
  await page.waitForSelector("[data-testid=instance-10\\.0\\.0\\.7-8080] >> text=zone=az1");
  await snap(page, "service-detail");
  const list = JSON.parse(await apiGet(ctx, "/nacos/v1/ns/catalog/instances", { serviceName: "orders", pageNo: "1", pageSize: "10" })) as { list: { metadata: Record<string, string>; enabled: boolean }[] };
  assert.equal(list.list[0].metadata, { zone: "az1", version: "2" });
  assert.is(list.list[0].enabled, false, "the metadata edit keeps the other fields");
});

t("create a service with threshold, metadata and selector; edit it; delete it", async (ctx) => {
  const { page } = ctx;
  await page.click("header >> text=Services");
  await page.click("[data-testid=create-service]");
  await page.fill("[data-testid=svc-name]", "billing");
  await page.fill("[data-testid=svc-threshold]", "0.5");
  await page.fill("[data-testid=svc-metadata]", "team=pay");
  await page.selectOption("[data-testid=svc-selector]", "label");
  await page.fill("[data-testid=svc-expression]", "CONSUMER.label.zone = PROVIDER.label.zone");
  await page.click("[data-testid=save-service]");
  await page.waitForSelector("[data-testid=service-billing]");
  type Svc = { protectThreshold: number; metadata: Record<string, string>; selector: { type: string; expression?: string } };
  const got = async () => JSON.parse(await apiGet(ctx, "/nacos/v1/ns/service", { serviceName: "billing" })) as Svc;
  const created = await got();
  assert.equal([created.protectThreshold, created.metadata, created.selector.type, created.selector.expression],
    [0.5, { team: "pay" }, "label", "CONSUMER.label.zone = PROVIDER.label.zone"]);
  await page.click("[data-testid=service-billing] >> text=Instances");
  await page.waitForSelector("[data-testid=service-facts] >> text=team=pay");
  await page.click("[data-testid=edit-service]");
  await page.fill("[data-testid=svc-threshold]", "0.8");
  await page.click("[data-testid=save-service]");
  await page.waitForSelector("[data-testid=service-facts] >> text=0.8");
  assert.is((await got()).protectThreshold, 0.8);
  await snap(page, "service-edited");
  page.once("dialog", (d) => void d.accept());
  await page.click("[data-testid=delete-service]");
  await page.waitForSelector("[data-testid=create-service]");
  await page.waitForSelector("[data-testid=service-orders]");
  assert.is(await page.$("[data-testid=service-billing]"), null);
  assert.is((await fetch(`${ctx.srv.httpUrl}/nacos/v1/ns/service?serviceName=billing`)).status, 400);
});

t("namespaces and cluster pages", async ({ page }) => {
  await page.click("header >> text=Namespaces");
  await page.waitForSelector("[data-testid=ns-ns1]");
  await snap(page, "namespaces");
  await page.click("header >> text=Cluster");
  await page.waitForSelector("[data-testid=raft]");
  assert.match(await page.textContent("[data-testid=raft]") ?? "", /Leader/);
  await snap(page, "cluster");
});

t("the monitor page charts request rates and latencies from the server's metrics", async (ctx) => {
  const { page } = ctx;
  await page.click("header >> text=Monitor");
  await page.waitForSelector("[data-testid=monitor-facts]");
  for (let i = 0; i < 20; i++) await apiGet(ctx, "/nacos/v1/cs/configs", { dataId: "app.yaml", group: "DEFAULT_GROUP" });
  // Two samples make a rate: a line (M…L…) appears and the legend holds a number.
  await page.waitForFunction(() => /L/.test(document.querySelector("[data-testid=chart-requests] path")?.getAttribute("d") ?? ""));
  assert.match(await page.textContent("[data-testid=chart-requests] [data-series=HTTP]") ?? "", /^HTTP: \d/);
  for (const c of ["latency", "connections", "pushes"]) assert.ok(await page.$(`[data-testid=chart-${c}] svg`), c);
  assert.match(await page.textContent("[data-testid=monitor-facts]") ?? "", /Services\s*1/, "orders (billing was deleted)");
  await snap(page, "monitor");
});

t("create a user with read-only access to one namespace", async ({ page }) => {
  await page.click("header >> text=Users");
  await page.fill("[data-testid=new-username]", "reader");
  await page.fill("[data-testid=new-password]", "reader-pass-1");
  await page.click("[data-testid=create-user]");
  await page.waitForSelector("[data-testid=user-reader]");
  await page.fill("[data-testid=role-name]", "ns1-reader");
  await page.fill("[data-testid=role-user]", "reader");
  await page.click("[data-testid=add-role]");
  await page.waitForSelector("td >> text=ns1-reader");
  await page.fill("[data-testid=perm-role]", "ns1-reader");
  await page.fill("[data-testid=perm-resource]", "ns1:*:*");
  await page.selectOption("[data-testid=perm-action]", "r");
  await page.click("[data-testid=add-permission]");
  await page.waitForSelector("td >> text=ns1:*:*");
  await snap(page, "users");
});

t("the language switch turns the console Chinese and back", async ({ page }) => {
  await page.click("[data-testid=lang]");
  await page.waitForSelector("header >> text=配置管理");
  await snap(page, "users-zh");
  await page.click("[data-testid=lang]");
  await page.waitForSelector("header >> text=Configurations");
});

t("the read-only user sees its namespace only, without write actions", async ({ page, url }) => {
  await page.click("[data-testid=logout]");
  await page.waitForSelector("form.login");
  await login(page, url, "reader", "reader-pass-1");
  await page.waitForSelector("[data-testid=config-team\\.properties]");
  const options = await page.$$eval("[data-testid=namespace] option", (os) => os.map((o) => (o as HTMLOptionElement).value));
  assert.equal(options, ["ns1"]);
  assert.is(await page.$("[data-testid=create-config]"), null);
  assert.is(await page.$("header >> text=Users"), null);
  assert.match(await page.textContent("header .me") ?? "", /reader \(read only\)/);
  assert.is(await page.$(".warning"), null);
  await snap(page, "reader-configs");
  await page.click("[data-testid=config-team\\.properties] >> text=View");
  await page.waitForFunction(() => document.querySelector(".editor .cm-content")?.textContent?.includes("k=v"));
  assert.is(await page.$("[data-testid=review]"), null);
  await snap(page, "reader-config-view");
});

t.run();
