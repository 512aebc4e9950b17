/** The process around the server: arguments, environment, signals, exit. Implemented once in platform/shared. */
export interface Host {
  readonly argv: readonly string[];
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly homeDir: string;
  readonly isWindows: boolean;
  /** SIGINT / SIGTERM. */
  onShutdownSignal(fn: (signal: string) => void): void;
  exit(code: number): never;
  stdout(text: string): void;
  stderr(text: string): void;
}
