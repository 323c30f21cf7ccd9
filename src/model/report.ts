// The report: the one source of truth for coordlint's JSON output and everything built on it.

export const SPECTRUM_CLASSES = ["coordinated", "data-dependent", "leveraged", "uncoordinated"] as const;
export type SpectrumClass = (typeof SPECTRUM_CLASSES)[number];

/** Cost of total work per class, exactly as the report writes it. */
export const COST: Record<SpectrumClass, string> = {
  coordinated: "O(N·W)",
  "data-dependent": "O(W)…O(N·W)",
  leveraged: "O(W) happy path",
  uncoordinated: "O(W)",
};

export const SITE_KINDS = [
  "lock",
  "local-lock",
  "consensus",
  "transaction",
  "row-lock",
  "cross-shard-query",
  "fanout",
  "lease",
  "leader",
  "batch-alloc",
  "non-monotonic",
] as const;
export type SiteKind = (typeof SITE_KINDS)[number];

/** The spectrum class a site of each kind puts a handler in (SPECTRUM.md §1); amortised evidence counts as `leveraged` at most. */
export const KIND_CLASS: Record<SiteKind, SpectrumClass> = {
  lock: "coordinated",
  "local-lock": "coordinated",
  consensus: "coordinated",
  transaction: "data-dependent",
  "row-lock": "data-dependent",
  "cross-shard-query": "data-dependent",
  fanout: "data-dependent",
  lease: "leveraged",
  leader: "leveraged",
  // A block taken from a shared counter on every call serialises every request on it; one taken only when the last block runs out is `budget-exhausted`, leveraged.
  "batch-alloc": "coordinated",
  "non-monotonic": "uncoordinated",
};

export interface Location {
  file: string;
  line: number;
  column: number;
}

export interface PathStep {
  /** Qualified name of the function (`Class.method`, `fn`, or the handler name for an inline handler). */
  function: string;
  file: string;
  /** Line of the call (or site) inside this function that leads to the next step. */
  line: number;
}

export interface Resource {
  /** The lock name, key or row expression as written. */
  expression: string;
  /** True when the key is the same for every request (a global serialisation point). */
  constant: boolean;
}

export const SQL_STATEMENT_TYPES = [
  "select",
  "insert",
  "update",
  "delete",
  "begin",
  "commit",
  "rollback",
  "savepoint",
  "set-transaction",
  "lock-table",
  "other",
] as const;
export type SqlStatementType = (typeof SQL_STATEMENT_TYPES)[number];

/** What a parsed SQL statement does, for CALM (monotonic or not) and for the lock it takes. */
export interface SqlStatement {
  type: SqlStatementType;
  /** An insert's conflict handling: ON CONFLICT DO NOTHING / INSERT IGNORE; ON CONFLICT DO UPDATE / ON DUPLICATE KEY UPDATE; REPLACE. */
  onConflict?: "nothing" | "update" | "replace";
  /** Some assignment adds to the column's own value (`n = n + 1`, `n = n - $1`): a commutative delta. */
  increments?: true;
  /** Some assignment overwrites a column with a value that does not add to it (`status = $1`). */
  assigns?: true;
  /** An absence check (`NOT EXISTS (…)`). */
  notExists?: true;
  /** The strongest row-locking clause (`FOR UPDATE`, `FOR NO KEY UPDATE`, `FOR SHARE` or `LOCK IN SHARE MODE`, `FOR KEY SHARE`). */
  lock?: "update" | "no key update" | "share" | "key share";
  nowait?: true;
  skipLocked?: true;
}

export interface Site extends Location {
  kind: SiteKind;
  rule: string;
  /** Canonical API name from the rule (never source text). */
  api: string;
  /** Qualified name of the enclosing function, `<module>` for top-level code. */
  function: string;
  resource?: Resource;
  /** Isolation level requested by a transaction, when the code states one. */
  isolation?: string;
  /** For a wrapper's use site: the primitive site the wrapper runs. */
  via?: Location;
  /** Framework delivery machinery (a worker's job lock, a consumer group): never raises a class. */
  delivery?: boolean;
  /** For sites found in SQL text: whether the statement was parsed (false: found by a keyword scan). */
  sqlParsed?: boolean;
  /** For sites found in SQL text that parsed: what the statement holding the site does. */
  statement?: SqlStatement;
  /** For a non-monotonic site: why, under CALM, it retracts or overwrites. */
  reason?: string;
}

export interface Evidence extends Location {
  kind: SiteKind;
  rule: string;
  api: string;
  path: PathStep[];
  /** The coordination is amortised over many requests (docs/leveraged.md), so it counts as `leveraged`. */
  amortised?: Amortisation;
}

/**
 * How coordination is amortised: reached only when a cached read misses; only when a budget held locally (an id
 * block, a rate allowance, a lease term) runs out; or not reached at all, the handler reading a local copy of state
 * the site keeps off its path (a leadership flag, watched configuration, a lease's id), its path ending at that read.
 */
export const AMORTISATIONS = ["cache-miss", "budget-exhausted", "local-copy"] as const;
export type Amortisation = (typeof AMORTISATIONS)[number];

/** The class an evidence item gives its handler: its kind's, or `leveraged` when amortised. */
export function evidenceClass(evidence: Pick<Evidence, "kind" | "amortised">): SpectrumClass {
  const own = KIND_CLASS[evidence.kind];
  return evidence.amortised && classRank(own) > classRank("leveraged") ? "leveraged" : own;
}

/**
 * What a state operation does to the state it touches (SPECTRUM.md §2): `read`, `insert` (a fresh id), `add` (set add,
 * append), `increment` (a commutative delta) are monotonic; `overwrite`, `delete`, `upsert` (overwrite when present) and
 * `allocate` (the next number of a sequence read from the data: `MAX(id) + 1`) are not.
 */
export const OPERATION_EFFECTS = ["read", "insert", "add", "increment", "overwrite", "delete", "upsert", "allocate"] as const;
export type OperationEffect = (typeof OPERATION_EFFECTS)[number];

export const MONOTONIC_EFFECTS: ReadonlySet<OperationEffect> = new Set(["read", "insert", "add", "increment"]);

/** A read or write of shared state: a database row, a key, a document, a module-level collection. */
export interface Operation extends Location {
  rule: string;
  api: string;
  function: string;
  effect: OperationEffect;
  monotonic: boolean;
  reason: string;
  /** The table, model, collection or key it touches, as the analysis names it for matching reads with writes. */
  entity?: string;
  /** A write that checks and writes in one command (a conditional update, SET NX, a ConditionExpression, ON CONFLICT). */
  atomic?: true;
  /** A read that takes a row lock (FOR UPDATE, a pessimistic lock option). */
  locks?: true;
}

/** Does each handler's logic need coordination, and does it have it (SPECTRUM.md §2, issue 4)? */
export const CALM_VERDICTS = ["monotonic", "non-monotonic-guarded", "non-monotonic-unguarded"] as const;
export type CalmVerdict = (typeof CALM_VERDICTS)[number];

/** The race a check-then-act allows. */
export const ANOMALIES = ["lost update", "double spend", "duplicate", "oversell"] as const;
export type Anomaly = (typeof ANOMALIES)[number];

export interface Handler extends Location {
  id: string;
  name: string;
  framework: string;
  class: SpectrumClass;
  cost: string;
  evidence: Evidence[];
  calm: CalmVerdict;
  /** Calls on the handler's path that could not be resolved to code or a known library. */
  unresolved: number;
  /** The first few of them, for a reader asking why a handler looks uncoordinated. */
  unresolvedCalls?: UnresolvedCall[];
}

export interface UnresolvedCall extends Location {
  /** The callee as written (whitespace removed, shortened). */
  call: string;
}

export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export const FINDING_RULES = ["calm/unguarded-non-monotonic", "calm/unneeded-coordination", "hat/unavailable-isolation", "fanout/all-shards", "fanout/partial-results", "budget/exceeded"] as const;
export type FindingRule = (typeof FINDING_RULES)[number];

/** Another place a finding involves: the read of a check-then-act, the check, an operation inside a needless scope. */
export interface RelatedLocation extends Location {
  message: string;
}

export interface Finding extends Location {
  rule: string;
  severity: Severity;
  message: string;
  /** Qualified name of the function holding the primary location (fingerprints use it, not the line). */
  function: string;
  /** Canonical name of the operation or site at the primary location. */
  api: string;
  /** Ids of the handlers that reach it (possibly none: a race is reported wherever the code is). */
  handlers: string[];
  related: RelatedLocation[];
  anomaly?: Anomaly;
  /** Set when an inline directive suppresses it (SARIF's `suppressions`): it stays in the report but fails nothing. */
  suppressions?: Suppression[];
}

export interface Suppression {
  /** inSource: an inline directive; external: the baseline. */
  kind: "inSource" | "external";
  /** The reason written after `--`, or the baseline file that holds the finding. */
  justification: string;
}

/** A finding that counts: not suppressed. */
export function isActive(finding: Finding): boolean {
  return finding.suppressions === undefined;
}

/** One shared resource (a lock name, counter row, key) and every handler that goes through it (SPECTRUM.md §5). */
export interface Hotspot {
  resource: string;
  /** The same for every request: one global serialisation point. */
  constant: boolean;
  sites: (Location & { kind: SiteKind; rule: string; api: string })[];
  handlers: string[];
}

export interface Summary {
  files: number;
  handlers: number;
  sites: number;
  byClass: Record<SpectrumClass, number>;
  byCalm: Record<CalmVerdict, number>;
}

export interface Report {
  schemaVersion: 1;
  tool: { name: "coordlint"; version: string };
  root: string;
  handlers: Handler[];
  sites: Site[];
  operations: Operation[];
  findings: Finding[];
  hotspots: Hotspot[];
  diagnostics: Diagnostic[];
  summary: Summary;
}

/** Order by file, line, column, then name (DECISIONS.md: every array but evidence and path). */
export function compareLocations(a: Location & { name?: string }, b: Location & { name?: string }): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  const an = a.name ?? "";
  const bn = b.name ?? "";
  return an < bn ? -1 : an > bn ? 1 : 0;
}

export function classRank(spectrumClass: SpectrumClass): number {
  return SPECTRUM_CLASSES.length - 1 - SPECTRUM_CLASSES.indexOf(spectrumClass);
}
