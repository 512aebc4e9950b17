/** Nacos errorCodes carried inside responses (nacos-protocol.md §1.8). */
export const NacosCode = {
  SUCCESS: 200,
  FAIL: 500,
  INVALID_SERVER_STATUS: 300,
  UN_REGISTER: 301,
  NO_HANDLER: 302,
  INVALID_PARAM: 400,
  NO_RIGHT: 403,
  SERVER_ERROR: 500,
  BAD_GATEWAY: 502,
  OVER_THRESHOLD: 503,
  CLIENT_DISCONNECT: -401,
} as const;
