/**
 * One error type for the registry, carrying what each face needs: the HTTP v1 status (= Nacos error
 * code, 400/404/500), the v2 detail code (21000 service name error, 20004 not found...), and through
 * `status` the gRPC errorCode (400 INVALID_PARAM, 500 SERVER_ERROR).
 */
export const V2 = {
  PARAMETER_MISSING: 10000,
  RESOURCE_NOT_FOUND: 20004,
  PARAMETER_VALIDATE_ERROR: 20002,
  SERVICE_NAME_ERROR: 21000,
  WEIGHT_ERROR: 21001,
  INSTANCE_METADATA_ERROR: 21002,
  INSTANCE_NOT_FOUND: 21003,
  INSTANCE_ERROR: 21004,
  SERVICE_METADATA_ERROR: 21005,
  SELECTOR_ERROR: 21006,
  SERVICE_ALREADY_EXIST: 21007,
  SERVICE_NOT_EXIST: 21008,
  SERVICE_DELETE_FAILURE: 21009,
  HEALTHY_PARAM_MISS: 21010,
  HEALTH_CHECK_STILL_RUNNING: 21011,
  ILLEGAL_NAMESPACE: 22000,
  SERVER_ERROR: 30000,
} as const;

export class NamingError extends Error {
  override name = "NamingError";
  readonly status: 400 | 404 | 500;
  readonly v2Code: number;
  constructor(status: 400 | 404 | 500, message: string, v2Code: number = status === 404 ? V2.RESOURCE_NOT_FOUND : V2.PARAMETER_VALIDATE_ERROR) {
    super(message);
    this.status = status;
    this.v2Code = v2Code;
  }
}

export const bad = (message: string, v2Code?: number) => new NamingError(400, message, v2Code);
export const missing = (name: string) => new NamingError(400, `Param '${name}' is required.`, V2.PARAMETER_MISSING);
