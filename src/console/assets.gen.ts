// @generated placeholder
export const CONSOLE_ASSETS: Record<string, { type: string; body: string }> = {};
