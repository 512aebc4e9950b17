/**
 * Parses a dotenv file the way rnacos users write them: `KEY=value`, `export KEY=value`, `#` comments,
 * single or double quotes (double quotes understand \n, \t, \", \\). Returns the pairs in file order and
 * the problems found, each with its line number, so start-up can refuse a broken file with one line.
 */
export interface EnvFileResult {
  values: Record<string, string>;
  errors: string[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export function parseEnvFile(text: string): EnvFileResult {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice(7).trim();
    const eq = line.indexOf("=");
    if (eq <= 0) {
      errors.push(`line ${i + 1}: expected KEY=value, got ${JSON.stringify(lines[i])}`);
      continue;
    }
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) {
      errors.push(`line ${i + 1}: invalid variable name ${JSON.stringify(key)}`);
      continue;
    }
    const raw = line.slice(eq + 1).trim();
    const value = unquote(raw);
    if (value === undefined) {
      errors.push(`line ${i + 1}: unterminated quote in ${key}`);
      continue;
    }
    values[key] = value;
  }
  return { values, errors };
}

function unquote(raw: string): string | undefined {
  const q = raw[0];
  if (q === '"' || q === "'") {
    const end = raw.lastIndexOf(q);
    if (end === 0) return undefined;
    const inner = raw.slice(1, end);
    if (q === "'") return inner;
    return inner.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" })[c] ?? c);
  }
  // Unquoted: a ` #` starts a trailing comment.
  const hash = raw.search(/\s#/);
  return (hash >= 0 ? raw.slice(0, hash) : raw).trim();
}
