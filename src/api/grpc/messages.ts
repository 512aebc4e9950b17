/**
 * Response bodies in the shape every official SDK accepts: always `resultCode`, `errorCode`, `success`,
 * `message` and `requestId` (Go reads `success`, Python's is_success() reads `errorCode`, Python's
 * pydantic models require `message` and `requestId` to be strings).
 */
import { NacosCode } from "./codes.ts";
import type { Json } from "./payload.ts";

export interface NacosResponse {
  type: string;
  body: Json;
}

export function ok(type: string, fields: Json = {}, message = ""): NacosResponse {
  return { type, body: { resultCode: NacosCode.SUCCESS, errorCode: 0, success: true, message, requestId: "", ...fields } };
}

/** A failure in the handler's own response type (e.g. ConfigQueryResponse with errorCode 300). */
export function fail(type: string, errorCode: number, message: string, fields: Json = {}): NacosResponse {
  return { type, body: { ...fields, resultCode: NacosCode.FAIL, errorCode, success: false, message, requestId: "" } };
}

/** `ErrorResponse`: what Nacos answers when no handler-specific response applies. */
export function errorResponse(errorCode: number, message: string): NacosResponse {
  return fail("ErrorResponse", errorCode, message);
}

/** Thrown by handlers for bad input; the dispatcher turns it into a response of the handler's type. */
export class NacosError extends Error {
  override name = "NacosError";
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}
