/**
 * Reads the tables of a MySQL dump as `mysqldump` writes it: `CREATE TABLE` (for the column order),
 * `INSERT [IGNORE] INTO` / `REPLACE INTO` with or without a column list, many rows per statement,
 * quoted strings with backslash escapes and doubled quotes, NULL, numbers, `_binary'…'` and other
 * character-set introducers, 0x… and X'…' hex literals (--hex-blob), b'…' bit literals; comments
 * (`-- `, `#`, `/* … *\/` including `/*!40101 … *\/`) and every other statement are skipped.
 * A value is its text (hex decoded as UTF-8) or null. Errors name the line.
 */
export type DumpValue = string | null;

export interface DumpTable {
  columns: string[];
  rows: DumpValue[][];
}

export class DumpError extends Error {
  override name = "DumpError";
}

const ESCAPES: Record<string, string> = { "0": "\0", b: "\b", n: "\n", r: "\r", t: "\t", Z: "\x1a" };
const utf8 = new TextDecoder();

/** The named tables found in `sql` (names compared without case or database prefix). */
export function parseDump(sql: string, wanted: ReadonlySet<string>, maxRows: number): Map<string, DumpTable> {
  const p = new DumpParser(sql, maxRows);
  return p.run(wanted);
}

class DumpParser {
  private i = 0;
  private rowsRead = 0;
  private readonly s: string;
  private readonly maxRows: number;
  private readonly creates = new Map<string, string[]>();
  private readonly out = new Map<string, DumpTable>();

  constructor(s: string, maxRows: number) {
    this.s = s;
    this.maxRows = maxRows;
  }

  run(wanted: ReadonlySet<string>): Map<string, DumpTable> {
    for (;;) {
      this.skipSpace();
      if (this.i >= this.s.length) break;
      const at = this.i;
      const word = this.peekWords(3);
      if (/^create table( if not exists)?/.test(word)) this.createTable(wanted);
      else if (/^(insert( ignore)? into|replace into)/.test(word)) this.insert(wanted);
      else this.skipStatement();
      if (this.i === at) throw this.error("parser made no progress");
    }
    return this.out;
  }

  private error(msg: string): DumpError {
    const line = this.s.slice(0, this.i).split("\n").length;
    return new DumpError(`dump line ${line}: ${msg}`);
  }

  /** The next few words, lower case, for recognising a statement. */
  private peekWords(n: number): string {
    const m = new RegExp(`^(?:[A-Za-z]+\\s+){0,${n - 1}}[A-Za-z]+`).exec(this.s.slice(this.i, this.i + 64));
    return (m?.[0] ?? "").toLowerCase().replace(/\s+/g, " ");
  }

  private skipSpace(): void {
    const s = this.s;
    for (;;) {
      while (this.i < s.length && /\s/.test(s[this.i])) this.i++;
      if (s.startsWith("--", this.i) && (this.i + 2 >= s.length || /\s/.test(s[this.i + 2])) || s[this.i] === "#") {
        const nl = s.indexOf("\n", this.i);
        this.i = nl < 0 ? s.length : nl + 1;
      } else if (s.startsWith("/*", this.i)) {
        const end = s.indexOf("*/", this.i + 2);
        if (end < 0) throw this.error("comment never closed");
        this.i = end + 2;
        if (s[this.i] === ";") this.i++; // `/*!40101 SET … */;`
      } else return;
    }
  }

  private skipStatement(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === ";") {
        this.i++;
        return;
      }
      if (c === "'" || c === '"' || c === "`") this.quoted(c);
      else if (s.startsWith("/*", this.i) || s.startsWith("--", this.i) || c === "#") this.skipSpace();
      else this.i++;
    }
  }

  private expect(word: string): void {
    this.skipSpace();
    if (this.s.slice(this.i, this.i + word.length).toLowerCase() !== word.toLowerCase()) throw this.error(`expected ${word}`);
    this.i += word.length;
  }

  /** A table or column name (backquoted or bare); `db`.`table` gives the table. */
  private identifier(): string {
    this.skipSpace();
    let name: string;
    if (this.s[this.i] === "`") name = this.quoted("`");
    else {
      const m = /^[A-Za-z0-9_$]+/.exec(this.s.slice(this.i, this.i + 256));
      if (!m) throw this.error("expected a name");
      name = m[0];
      this.i += name.length;
    }
    if (this.s[this.i] === ".") {
      this.i++;
      return this.identifier();
    }
    return name;
  }

  private createTable(wanted: ReadonlySet<string>): void {
    this.expect("create");
    this.expect("table");
    if (/^if not exists/.test(this.peekWords(3))) this.i += this.s.slice(this.i, this.i + 64).search(/exists/i) + "exists".length;
    const name = this.identifier().toLowerCase();
    this.skipSpace();
    if (this.s[this.i] !== "(") return this.skipStatement(); // CREATE TABLE … LIKE / AS SELECT
    this.i++;
    const cols: string[] = [];
    let depth = 1;
    let atItem = true;
    while (depth > 0) {
      this.skipSpace();
      if (this.i >= this.s.length) throw this.error(`CREATE TABLE ${name} never closed`);
      const c = this.s[this.i];
      if (atItem && depth === 1) {
        atItem = false;
        if (c === "`") {
          cols.push(this.quoted("`"));
          continue;
        }
        const w = this.peekWords(1);
        if (!/^(primary|unique|key|index|constraint|fulltext|spatial|foreign|check)$/.test(w) && w !== "") {
          cols.push(this.identifier());
          continue;
        }
      }
      if (c === "(") depth++;
      else if (c === ")") depth--;
      else if (c === "," && depth === 1) atItem = true;
      if (c === "'" || c === '"' || c === "`") this.quoted(c);
      else this.i++;
    }
    if (wanted.has(name)) this.creates.set(name, cols);
    this.skipStatement();
  }

  private insert(wanted: ReadonlySet<string>): void {
    this.i += this.s.slice(this.i, this.i + 64).toLowerCase().indexOf("into") + 4;
    const name = this.identifier().toLowerCase();
    if (!wanted.has(name)) return this.skipStatement();
    this.skipSpace();
    let columns: string[] | undefined;
    if (this.s[this.i] === "(") {
      this.i++;
      columns = [];
      for (;;) {
        columns.push(this.identifier());
        this.skipSpace();
        const c = this.s[this.i++];
        if (c === ")") break;
        if (c !== ",") throw this.error(`bad column list of INSERT INTO ${name}`);
      }
    }
    columns ??= this.creates.get(name);
    if (!columns) throw this.error(`INSERT INTO ${name} without a column list and no CREATE TABLE ${name} before it (dump with CREATE TABLE statements or with --complete-insert)`);
    this.expect("values");
    let table = this.out.get(name);
    if (!table) this.out.set(name, (table = { columns, rows: [] }));
    else if (table.columns.join() !== columns.join()) throw this.error(`INSERT INTO ${name} with other columns than before`);
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] !== "(") throw this.error(`expected a row of INSERT INTO ${name}`);
      this.i++;
      const row: DumpValue[] = [];
      for (;;) {
        row.push(this.value());
        this.skipSpace();
        const c = this.s[this.i++];
        if (c === ")") break;
        if (c !== ",") throw this.error(`expected , or ) in a row of INSERT INTO ${name}`);
      }
      if (row.length !== columns.length) throw this.error(`a row of ${name} has ${row.length} values for ${columns.length} columns`);
      if (++this.rowsRead > this.maxRows) throw this.error(`more than ${this.maxRows} rows`);
      table.rows.push(row);
      this.skipSpace();
      const c = this.s[this.i++];
      if (c === ";" || c === undefined) return;
      if (c !== ",") throw this.error(`expected , or ; after a row of INSERT INTO ${name}`);
      // ON DUPLICATE KEY UPDATE and the like are not written by mysqldump.
    }
  }

  private value(): DumpValue {
    this.skipSpace();
    const s = this.s;
    const c = s[this.i];
    if (c === "'" || c === '"') return this.quoted(c);
    const rest = s.slice(this.i, this.i + 64);
    let m: RegExpExecArray | null;
    if ((m = /^_[A-Za-z0-9]+\s*(?=['"]|0x|[xX]')/.exec(rest))) {
      this.i += m[0].length; // a character-set introducer (_binary, _utf8mb4): the literal follows
      return this.value();
    }
    if ((m = /^null\b/i.exec(rest))) {
      this.i += 4;
      return null;
    }
    if ((m = /^(true|false)\b/i.exec(rest))) {
      this.i += m[0].length;
      return m[1].toLowerCase() === "true" ? "1" : "0";
    }
    if ((m = /^0x([0-9A-Fa-f]*)/.exec(s.slice(this.i, this.i + 3)))) return this.hex(/^0x([0-9A-Fa-f]*)/);
    if ((m = /^[xX]'/.exec(rest))) return this.hex(/^[xX]'([0-9A-Fa-f]*)'/);
    if ((m = /^[bB]'([01]*)'/.exec(rest))) {
      this.i += m[0].length;
      return String(m[1] === "" ? 0 : parseInt(m[1], 2));
    }
    if ((m = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(rest))) {
      this.i += m[0].length;
      return m[0];
    }
    throw this.error(`unexpected ${JSON.stringify(rest.slice(0, 16))} where a value belongs`);
  }

  private hex(re: RegExp): string {
    const m = re.exec(this.s.slice(this.i));
    if (!m || m[1].length % 2 !== 0) throw this.error("malformed hex literal");
    this.i += m[0].length;
    const bytes = new Uint8Array(m[1].length / 2);
    for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(m[1].slice(k * 2, k * 2 + 2), 16);
    return utf8.decode(bytes);
  }

  /** A quoted string starting at the quote; returns its value. */
  private quoted(q: string): string {
    const s = this.s;
    const start = this.i;
    this.i++;
    let out = "";
    let from = this.i;
    for (;;) {
      const k = this.i;
      if (k >= s.length) {
        this.i = start;
        throw this.error("string never closed");
      }
      const c = s[k];
      if (c === "\\" && q !== "`") {
        out += s.slice(from, k);
        const e = s[k + 1];
        // MySQL keeps the backslash of \% and \_ (they only mean something in LIKE patterns).
        out += ESCAPES[e] ?? (e === "%" || e === "_" ? `\\${e}` : e ?? "");
        this.i = k + 2;
        from = this.i;
      } else if (c === q) {
        if (s[k + 1] === q) {
          out += s.slice(from, k + 1);
          this.i = k + 2;
          from = this.i;
        } else {
          out += s.slice(from, k);
          this.i = k + 1;
          return out;
        }
      } else this.i++;
    }
  }
}
