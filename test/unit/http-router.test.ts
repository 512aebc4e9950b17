/**
 * The HTTP router's matching rules, which every route relies on: first registered route wins, "ALL"
 * matches any method, HEAD does not fall to GET, trailing slashes and dot segments are ignored as a URL
 * would, the query never takes part, and `:param` routes still match (through itty-router).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { HttpRequest } from "../../src/ports/net.ts";
import { requestPath, Router } from "../../src/api/http/router.ts";

function request(method: string, url: string): HttpRequest {
  return {
    method, url, header: () => undefined, headers: () => ({}), text: async () => "", bytes: async () => new Uint8Array(), remoteAddress: "127.0.0.1",
  };
}

function router(): Router {
  const r = new Router();
  r.add("GET", "/nacos/v1/cs/configs", () => ({ status: 200, body: "get" }));
  r.add("ALL", "/nacos/v1/cs/configs", () => ({ status: 200, body: "all" }));
  r.add("POST", "/nacos/v1/ns/instance", () => ({ status: 200, body: "register" }));
  r.add("GET", "/nacos/prometheus/namespaceId/:namespaceId", (req) => ({ status: 200, body: `ns=${req.params.namespaceId}` }));
  r.add("GET", "/", () => ({ status: 200, body: "root" }));
  return r;
}

async function body(r: Router, method: string, url: string): Promise<string | undefined> {
  return (await r.fetch(request(method, url)))?.body as string | undefined;
}

test("the first registered route for a path and method answers; ALL takes the other methods", async () => {
  const r = router();
  assert.is(await body(r, "GET", "http://h/nacos/v1/cs/configs?dataId=a"), "get");
  assert.is(await body(r, "POST", "http://h/nacos/v1/cs/configs"), "all");
  assert.is(await body(r, "DELETE", "http://h/nacos/v1/cs/configs"), "all");
  assert.is(await body(r, "HEAD", "http://h/nacos/v1/cs/configs"), "all", "HEAD is not a GET route");
});

test("no route: undefined, so the app answers Nacos's 404/501; a method with no route is not a match", async () => {
  const r = router();
  assert.is(await body(r, "GET", "http://h/nacos/v1/ns/instance"), undefined);
  assert.is(await body(r, "GET", "http://h/nacos/v1/cs/configsX"), undefined);
  assert.is(await body(r, "GET", "http://h/nacos/v1/cs"), undefined);
});

test("trailing slashes and dot segments match as URL parsing resolves them; the query and fragment never do", async () => {
  const r = router();
  assert.is(await body(r, "GET", "http://h/nacos/v1/cs/configs/"), "get");
  assert.is(await body(r, "GET", "http://h/nacos/v1/cs/configs//?x=/nacos"), "get");
  assert.is(await body(r, "GET", "http://h/nacos/v1/ns/../cs/configs"), "get");
  assert.is(await body(r, "GET", "http://h/nacos/v1/cs/%2e/configs"), "get");
  assert.is(await body(r, "GET", "http://h/?a=b"), "root");
  assert.is(await body(r, "GET", "http://h"), "root");
  assert.is(requestPath("http://h:8848/a/b?c=/d#e"), "/a/b");
  assert.is(requestPath("http://h:8848/a/b#e?x"), "/a/b");
});

test("routes with :params match through the pattern router and see the raw segment", async () => {
  const r = router();
  assert.is(await body(r, "GET", "http://h/nacos/prometheus/namespaceId/dev%2Dns"), "ns=dev%2Dns");
  assert.is(await body(r, "GET", "http://h/nacos/prometheus/namespaceId/"), undefined);
});

test("the routed request carries its route pattern (the latency metric's label)", async () => {
  const r = router();
  const req = request("POST", "http://h/nacos/v1/ns/instance/?ip=1");
  await r.fetch(req);
  assert.is((req as HttpRequest & { route?: string }).route, "/nacos/v1/ns/instance");
});

test.run();
