/** The small file-system surface the server needs: data dir setup, env files, snapshots. */
export interface Fs {
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Uint8Array>;
  /** Writes to a temp file, fsyncs it and renames it over `path`: readers see the old or new file, never half. */
  writeAtomic(path: string, data: Uint8Array | string): Promise<void>;
  exists(path: string): Promise<boolean>;
  mkdirp(path: string): Promise<void>;
  list(dir: string): Promise<string[]>;
  remove(path: string): Promise<void>;
  join(...parts: string[]): string;
}
