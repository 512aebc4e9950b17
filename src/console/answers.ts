/**
 * Answers of the console's own endpoints, rnacos's console shape `{success, code, message, data}`
 * (codes NO_LOGIN, NO_PERMISSION, CAPTCHA_CHECK_ERROR, LOGIN_LIMITE_ERROR, USER_CHECK_ERROR as rnacos).
 * Forwarded OpenAPI calls keep their OpenAPI answers.
 */
import type { HttpResponse } from "../ports/net.ts";
import { json } from "../api/http/respond.ts";

export function consoleOk(data: unknown, headers: Record<string, string> = {}): HttpResponse {
  return json(200, { success: true, code: "OK", message: null, data }, { "cache-control": "no-store", ...headers });
}

export function consoleError(status: number, code: string, message: string, headers: Record<string, string> = {}): HttpResponse {
  return json(status, { success: false, code, message, data: null }, { "cache-control": "no-store", ...headers });
}
