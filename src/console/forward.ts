/**
 * The console API is the OpenAPI, not a second implementation: `/api/console/v1/nacos/<path>` answers
 * what `/nacos/<path>` answers on the SDK port, after the console guard (session cookie or bearer,
 * then the same needs.ts classification of the OpenAPI path). Only the operations the UI uses are
 * forwarded: no long polls, beats or cluster membership changes from a browser (the listener query,
 * `GET cs/configs/listener`, is forwarded; the long poll on the same path is not).
 * Writes carry the session's user as the op user (`src_user`, first in the query so it wins over
 * anything the client sent), so config history shows who changed what.
 */
import type { HttpApp, HttpRoutes } from "../api/http/app.ts";
import { pathOf, requestUser, setRequestUser, withUrl } from "../api/http/request-view.ts";
import { consoleError } from "./answers.ts";

export const CONSOLE_API = "/api/console/v1";

const FORWARDED = new RegExp(
  "^/nacos/v1/(" + [
    "cs/configs", "cs/configs/listener", "cs/history", "cs/history/(detail|previous|configs)",
    "console/namespaces",
    "ns/(service|service/list|service/subscribers|instance|instance/list|catalog/services|catalog/instances|operator/metrics)",
    "auth/(users|roles|permissions)",
    "raft/metrics", "core/cluster/nodes",
  ].join("|") + ")$",
);

export function addConsoleForward(routes: HttpRoutes, main: HttpApp): void {
  routes.add("ALL", `${CONSOLE_API}/nacos/*`, async (req) => {
    const inner = pathOf(req.url).slice(CONSOLE_API.length);
    if (!FORWARDED.test(inner) || (inner.endsWith("/listener") && req.method !== "GET")) return consoleError(404, "NOT_FOUND", `no console api ${inner}`);
    const origin = req.url.slice(0, req.url.indexOf("/", req.url.indexOf("//") + 2));
    const q = req.url.indexOf("?");
    const query = q < 0 ? "" : req.url.slice(q + 1);
    const user = requestUser(req);
    const op = user ? `src_user=${encodeURIComponent(user)}&srcUser=${encodeURIComponent(user)}` : "";
    const url = `${origin}${inner}?${[op, query].filter(Boolean).join("&")}`;
    const forwarded = withUrl(req, url);
    if (user) setRequestUser(forwarded, user); // lists answer what this user may see (ctx.access)
    return (await main.dispatch(forwarded)) ?? consoleError(404, "NOT_FOUND", `no console api ${inner}`);
  });
}
