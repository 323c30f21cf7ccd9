// Exact recognisers for the SQL the parser's grammars lack: transaction control statements and row-locking clauses.
import type { SqlStatement } from "../model/report.js";
import type { SqlDialect } from "./rules.js";
import { isName, type Token } from "./sql-tokens.js";

export interface ControlStatement {
  type: "begin" | "commit" | "rollback" | "savepoint" | "set-transaction";
  isolation?: string;
}

/**
 * BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK [TO SAVEPOINT], ABORT, SAVEPOINT, RELEASE and SET TRANSACTION, with
 * their modes, exactly as PostgreSQL, MySQL, MariaDB and SQLite write them; undefined for anything else. The parser's
 * dialects disagree on these (SQLite's rejects BEGIN, PostgreSQL's SAVEPOINT, none reads SET TRANSACTION), so this one
 * reader serves every dialect.
 */
export function transactionControl(tokens: readonly Token[]): ControlStatement | undefined {
  const words = tokens.map((t) => t.word);
  let i = 1;
  const accept = (...options: string[]): boolean => {
    if (!options.includes(words[i] ?? "")) return false;
    i++;
    return true;
  };
  const done = (statement: ControlStatement): ControlStatement | undefined => (i === words.length ? statement : undefined);
  const savepointName = (): boolean => {
    if (!isName(tokens[i])) return false;
    i++;
    return true;
  };
  switch (words[0]) {
    case "BEGIN": {
      accept("DEFERRED", "IMMEDIATE", "EXCLUSIVE");
      accept("WORK", "TRANSACTION");
      const modes = transactionModes(words, i);
      if (!modes) return undefined;
      i = modes.next;
      return done({ type: "begin", ...(modes.isolation ? { isolation: modes.isolation } : {}) });
    }
    case "START": {
      if (!accept("TRANSACTION")) return undefined;
      const modes = transactionModes(words, i);
      if (!modes) return undefined;
      i = modes.next;
      return done({ type: "begin", ...(modes.isolation ? { isolation: modes.isolation } : {}) });
    }
    case "COMMIT":
    case "END":
    case "ROLLBACK":
    case "ABORT": {
      const type = words[0] === "COMMIT" || words[0] === "END" ? "commit" : "rollback";
      accept("WORK", "TRANSACTION");
      if (type === "rollback" && accept("TO")) {
        accept("SAVEPOINT");
        return savepointName() ? done({ type }) : undefined;
      }
      if (accept("AND")) {
        accept("NO");
        if (!accept("CHAIN")) return undefined;
      }
      if (accept("NO") && words[i] !== "RELEASE") return undefined;
      accept("RELEASE");
      return done({ type });
    }
    case "SAVEPOINT":
      return savepointName() ? done({ type: "savepoint" }) : undefined;
    case "RELEASE":
      accept("SAVEPOINT");
      return savepointName() ? done({ type: "savepoint" }) : undefined;
    case "SET": {
      if (accept("SESSION") && accept("CHARACTERISTICS") && !accept("AS")) return undefined;
      accept("LOCAL", "GLOBAL");
      if (!accept("TRANSACTION")) return undefined;
      const modes = transactionModes(words, i);
      if (!modes || modes.next === i) return undefined;
      i = modes.next;
      return done({ type: "set-transaction", ...(modes.isolation ? { isolation: modes.isolation } : {}) });
    }
    default:
      return undefined;
  }
}

const LEVELS = [["SERIALIZABLE"], ["REPEATABLE", "READ"], ["READ", "COMMITTED"], ["READ", "UNCOMMITTED"]];
const MODES = [["READ", "WRITE"], ["READ", "ONLY"], ["NOT", "DEFERRABLE"], ["DEFERRABLE"], ["WITH", "CONSISTENT", "SNAPSHOT"]];

/** `ISOLATION LEVEL …`, `READ WRITE|ONLY`, `[NOT] DEFERRABLE`, `WITH CONSISTENT SNAPSHOT`, separated by commas or spaces. */
function transactionModes(words: readonly string[], from: number): { next: number; isolation?: string } | undefined {
  let i = from;
  let isolation: string | undefined;
  const startsWith = (sequence: string[]): boolean => sequence.every((word, k) => words[i + k] === word);
  while (i < words.length) {
    if (i > from && words[i] === "," && ++i === words.length) return undefined;
    if (words[i] === "ISOLATION" && words[i + 1] === "LEVEL") {
      i += 2;
      const level = LEVELS.find(startsWith);
      if (!level) return undefined;
      isolation = level.join(" ");
      i += level.length;
    } else {
      const mode = MODES.find(startsWith);
      if (!mode) return i === from ? { next: i } : undefined;
      i += mode.length;
    }
  }
  return { next: i, ...(isolation ? { isolation } : {}) };
}

export interface LockingClause {
  /** Offsets of the clause in the SQL text, from `FOR` or `LOCK` to its last word. */
  offset: number;
  end: number;
  lock: NonNullable<SqlStatement["lock"]>;
  nowait: boolean;
  skipLocked: boolean;
}

interface LockingGrammar {
  strengths: string[][];
  of: boolean;
  shareMode: boolean;
  wait: boolean;
}

const PG_STRENGTHS = [["UPDATE"], ["NO", "KEY", "UPDATE"], ["SHARE"], ["KEY", "SHARE"]];
const LOCKING: Record<SqlDialect | "unknown", LockingGrammar> = {
  postgresql: { strengths: PG_STRENGTHS, of: true, shareMode: false, wait: false },
  mysql: { strengths: [["UPDATE"], ["SHARE"]], of: true, shareMode: true, wait: false },
  mariadb: { strengths: [["UPDATE"]], of: false, shareMode: true, wait: true },
  sqlite: { strengths: [], of: false, shareMode: false, wait: false },
  unknown: { strengths: PG_STRENGTHS, of: true, shareMode: true, wait: false },
};

/** Where a locking clause may end: the statement, a subquery, or a LIMIT / OFFSET / FETCH or another locking clause after it. */
const AFTER_CLAUSE = new Set(["", ")", "LIMIT", "OFFSET", "FETCH", "FOR", "LOCK"]);

/**
 * Row-locking clauses (`FOR UPDATE [OF t] [NOWAIT | SKIP LOCKED]`, `FOR NO KEY UPDATE`, `FOR [KEY] SHARE`,
 * `LOCK IN SHARE MODE`) as the dialect writes them. node-sql-parser's PostgreSQL grammar has none and its MySQL one only
 * some, so they are read here and blanked before parsing. Undefined when a clause-like run of words is not one the
 * dialect allows: the statement is then not trusted to parse.
 */
export function lockingClauses(tokens: readonly Token[], dialect: SqlDialect | undefined): LockingClause[] | undefined {
  const grammar = LOCKING[dialect ?? "unknown"];
  const words = tokens.map((t) => t.word);
  const clauses: LockingClause[] = [];
  for (let i = 0; i < words.length; i++) {
    const clauseLike = (words[i] === "FOR" && ["UPDATE", "NO", "SHARE", "KEY"].includes(words[i + 1] ?? "")) || (words[i] === "LOCK" && words[i + 1] === "IN");
    if (!clauseLike) continue;
    const clause = clauseAt(tokens, words, i, grammar);
    if (!clause) return undefined;
    clauses.push(clause.clause);
    i = clause.next - 1;
  }
  return clauses;
}

function clauseAt(tokens: readonly Token[], words: readonly string[], from: number, grammar: LockingGrammar): { clause: LockingClause; next: number } | undefined {
  let i = from + 1;
  const startsWith = (sequence: string[]): boolean => sequence.every((word, k) => words[i + k] === word);
  let lock: LockingClause["lock"];
  if (words[from] === "LOCK") {
    if (!grammar.shareMode || !startsWith(["IN", "SHARE", "MODE"])) return undefined;
    lock = "share";
    i += 3;
  } else {
    const strength = grammar.strengths.find(startsWith);
    if (!strength) return undefined;
    lock = strength.join(" ").toLowerCase() as LockingClause["lock"];
    i += strength.length;
    if (words[i] === "OF") {
      if (!grammar.of) return undefined;
      for (i++; ; i++) {
        if (!isName(tokens[i])) return undefined;
        i++;
        while (words[i] === "." && isName(tokens[i + 1])) i += 2;
        if (words[i] !== ",") break;
      }
    }
  }
  let nowait = false;
  let skipLocked = false;
  if (words[i] === "NOWAIT") {
    nowait = true;
    i++;
  } else if (words[i] === "SKIP" && words[i + 1] === "LOCKED" && words[from] === "FOR") {
    skipLocked = true;
    i += 2;
  } else if (words[i] === "WAIT" && grammar.wait && /^\d+$/.test(words[i + 1] ?? "")) {
    i += 2;
  }
  if (!AFTER_CLAUSE.has(words[i] ?? "")) return undefined;
  return { clause: { offset: tokens[from]!.offset, end: tokens[i - 1]!.end, lock, nowait, skipLocked }, next: i };
}
