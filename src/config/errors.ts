/** A write the state machine refused (CAS mismatch, unknown namespace...): API layers map `refusal` to Nacos codes. */
import type { Refusal } from "./model.ts";

export class ConfigRefused extends Error {
  override name = "ConfigRefused";
  readonly refusal: Refusal;
  constructor(refusal: Refusal, message: string) {
    super(message);
    this.refusal = refusal;
  }
}
