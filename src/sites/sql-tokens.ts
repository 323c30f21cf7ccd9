// SQL tokens: words and punctuation with comments, quoted strings and identifiers stepped over; statements split at `;`.
import type { SqlDialect } from "./rules.js";

export interface Token {
  /** Upper-cased word, punctuation, `'` for a string, `"NAME"` for a quoted identifier, `?` for a positional or named placeholder. */
  word: string;
  offset: number;
  /** Offset just after the token. */
  end: number;
}

const BACKSLASH_ESCAPES: ReadonlySet<SqlDialect> = new Set(["mysql", "mariadb"]);

/** Word and punctuation tokens of SQL (each punctuation character is one), skipping comments (`#` ones too in MySQL), quoted strings and identifiers. */
export function tokenize(sql: string, dialect?: SqlDialect): Token[] {
  const mysql = dialect !== undefined && BACKSLASH_ESCAPES.has(dialect);
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if ((c === "-" && sql[i + 1] === "-") || (c === "#" && mysql)) {
      while (i < sql.length && sql[i] !== "\n") i++;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === "`") {
      const start = i;
      // MySQL strings, and PostgreSQL's E'…' strings, take backslash escapes.
      const escapes = c !== "`" && (mysql || (c === "'" && /[Ee]/.test(sql[i - 1] ?? "") && !/[A-Za-z_0-9$]/.test(sql[i - 2] ?? "")));
      i++;
      while (i < sql.length) {
        if (escapes && sql[i] === "\\") i += 2;
        else if (sql[i] === c && sql[i + 1] === c) i += 2;
        else if (sql[i] === c) break;
        else i++;
      }
      i++;
      // A string is one literal token; a quoted identifier keeps its name, to compare columns (`"value" = "value" + 1`).
      tokens.push({ word: c === "'" ? "'" : `"${sql.slice(start + 1, i - 1).toUpperCase()}"`, offset: start, end: Math.min(i, sql.length) });
    } else if (c === "$" && /[A-Za-z_$]/.test(sql[i + 1] ?? "")) {
      const start = i;
      const tagEnd = sql.indexOf("$", i + 1);
      const tag = tagEnd < 0 ? "" : sql.slice(i, tagEnd + 1);
      const close = tag ? sql.indexOf(tag, tagEnd + 1) : -1;
      i = close < 0 ? i + 1 : close + tag.length;
      if (close >= 0) tokens.push({ word: "'", offset: start, end: i });
    } else if (c === ":" && sql[i - 1] !== ":" && sql[i + 1] !== ":" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      // A named replacement (`:id`, Sequelize and knex): a parameter, like `$1` or `?`.
      const start = i;
      i++;
      while (i < sql.length && /[A-Za-z_0-9]/.test(sql[i]!)) i++;
      tokens.push({ word: "?", offset: start, end: i });
    } else if (/[A-Za-z_0-9$]/.test(c)) {
      const start = i;
      while (i < sql.length && /[A-Za-z_0-9$]/.test(sql[i]!)) i++;
      tokens.push({ word: sql.slice(start, i).toUpperCase(), offset: start, end: i });
    } else {
      if (!/\s/.test(c)) tokens.push({ word: c, offset: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

/** The tokens of each statement, split at `;`; empty statements left out. */
export function statementsOf(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (token.word === ";") {
      if (current.length > 0) statements.push(current);
      current = [];
    } else {
      current.push(token);
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/** A `$n`, `?` or `:name` placeholder. */
export function isPlaceholder(token: Token): boolean {
  return token.word === "?" || /^\$\d+$/.test(token.word);
}

/** An unquoted name or a quoted identifier. */
export function isName(token: Token | undefined): boolean {
  return token !== undefined && (/^[A-Z_][A-Z_0-9$]*$/.test(token.word) || token.word.startsWith('"'));
}
