/** Invariant check. A failure is a bug in tnacos, never bad user input (validate that separately). */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new InvariantError(msg);
}

export class InvariantError extends Error {
  override name = "InvariantError";
}

export function unreachable(x: never, what: string): never {
  throw new InvariantError(`unreachable ${what}: ${JSON.stringify(x)}`);
}
