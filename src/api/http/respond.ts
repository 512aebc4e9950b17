/** Response builders in Nacos's styles: v1 plain text / JSON, v2 `{code, message, data}`. */
import type { HttpResponse } from "../../ports/net.ts";

const JSON_TYPE = "application/json;charset=UTF-8";
const TEXT_TYPE = "text/plain;charset=UTF-8";

export function text(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { "content-type": TEXT_TYPE, ...headers }, body };
}

/** JSON already serialised (an answer built from cached parts): json() and v2ok() send it as it is. */
export class JsonText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** Frozen: shared by every plain JSON answer, so the HTTP adapter converts it once (frozen-headers.ts). */
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ "content-type": JSON_TYPE });

export function json(status: number, value: unknown, headers?: Record<string, string>): HttpResponse {
  return { status, headers: headers === undefined ? JSON_HEADERS : { "content-type": JSON_TYPE, ...headers }, body: value instanceof JsonText ? value.text : JSON.stringify(value) };
}

/** Nacos v2 envelope: success has code 0. */
export function v2ok(data: unknown): HttpResponse {
  if (data instanceof JsonText) return json(200, new JsonText(`{"code":0,"message":"success","data":${data.text}}`));
  return json(200, { code: 0, message: "success", data });
}

/** Nacos v2 error: HTTP status plus detail code (e.g. 10000 parameter missing, 20004 not found). */
export function v2error(status: number, code: number, message: string, data: unknown): HttpResponse {
  return json(status, { code, message, data });
}

/** Spring Boot's default 404/405 body, which is what Nacos answers for paths it does not map. */
export function springError(status: number, error: string, path: string, nowMs: number): HttpResponse {
  return json(status, { timestamp: new Date(nowMs).toISOString(), status, error, path });
}
