// The coordination knowledge base: rule files (one per library) loaded from rules/ and validated against their JSON schema.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import type { OperationEffect, SiteKind } from "../model/report.js";
import type { OriginSpec } from "../scan/resolve.js";
import { CoordlintError } from "../model/errors.js";
import type { LuaClass } from "./lua.js";

export type SqlFeature = "begin" | "set-isolation" | "for-update" | "for-share" | "lock-table" | "advisory-lock" | "delete" | "counter-update" | "statement";

/** The SQL dialect a library's queries are written in (node-sql-parser's names). */
export type SqlDialect = "postgresql" | "mysql" | "mariadb" | "sqlite";

export interface ReceiverSpec extends OriginSpec {
  any?: boolean;
}

export interface ArgCondition {
  literal?: string[];
  property?: string[];
  propertyValue?: string[];
  iterates?: string;
  resultCached?: boolean;
  propertyPath?: string[];
  constantResource?: boolean;
  minArgs?: number;
  member?: string[];
  propertyMember?: string[];
  propertyPattern?: string;
  unlessChained?: string[];
  not?: ArgCondition;
}

export interface Matcher {
  method?: string[];
  on?: ReceiverSpec;
  function?: string[];
  decorator?: string[];
  global?: string;
  called?: ReceiverSpec;
  sql?: SqlFeature[];
  lua?: LuaClass[];
  args?: ArgCondition;
}

/** A call that defines a script command: its sites are the command's calls. */
export interface DefinesSpec {
  name?: ValueRef;
  methods?: string[];
  on?: ReceiverSpec;
}

export interface ValueRef {
  argument?: number;
  property?: string;
  chained?: string;
}

export interface SiteRule {
  id: string;
  kind: SiteKind;
  api: string;
  description: string;
  match: Matcher;
  resource?: ValueRef;
  isolation?: ValueRef;
  delivery?: boolean;
  /** The lock outlives the call: held as its key (released by other sites on it) or through the returned handle. */
  held?: "key" | "handle";
  /** With `held: "key"`: the arguments that state the lock's time to live. */
  expiry?: ArgCondition;
  script?: ValueRef;
  defines?: DefinesSpec;
  /** For a non-monotonic site: what it does to the state, why, and to what (it is also a state operation). */
  effect?: OperationEffect;
  reason?: string;
  entity?: EntityRef;
  atomic?: boolean;
  /** For a transaction site: optimistic (WATCH … EXEC), aborting on a concurrent write: it guards as SERIALIZABLE does. */
  optimistic?: boolean;
  /** For a fanout site: whether it needs every shard's answer. */
  harvest?: "all-shards" | "partial-results";
}

/** Where an operation names the table, model, collection or key it touches. */
export interface EntityRef {
  receiver?: boolean;
  chained?: string;
  argument?: number;
  property?: string;
  receiverCall?: boolean;
}

/** A read or write of shared state, for CALM: matched like a site, classified by its effect. */
export interface OperationRule {
  id: string;
  effect: OperationEffect | "sql";
  api: string;
  description: string;
  match: Matcher;
  entity?: EntityRef;
  fields?: ValueRef;
  where?: ValueRef;
  atomicWhen?: ArgCondition;
  /** A call further down the chain makes it atomic (`insertInto(t).values(…).onConflict((oc) => oc.doNothing())`). */
  atomicWhenChained?: { method: string[]; pattern?: string };
  locksWhen?: ArgCondition;
  reason?: string;
}

export interface RuleFile {
  library: string;
  description: string;
  docs?: string;
  modules: string[];
  /** The dialect of the SQL its calls send; unstated: PostgreSQL, then MySQL. */
  sqlDialect?: SqlDialect;
  sites?: SiteRule[];
  operations?: OperationRule[];
}

/** A site rule with the modules of the file it came from. */
export interface LoadedRule extends SiteRule {
  library: string;
  modules: string[];
  sqlDialect?: SqlDialect;
  source: string;
  /** Set when the rule is an operation rule, matched by the site detector under kind `non-monotonic`. */
  operation?: OperationRule;
}

export interface KnowledgeBase {
  sites: LoadedRule[];
  operations: LoadedRule[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const BUILTIN_RULES_DIR = path.resolve(here, "../../rules");
const SCHEMA_PATH = path.resolve(here, "../schema/rule-file.schema.json");

let validator: ReturnType<Ajv["compile"]> | undefined;

function validate(data: unknown): ErrorObject[] {
  if (!validator) {
    const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8")) as object;
    validator = new Ajv({ allErrors: false, strict: false }).compile(schema);
  }
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

/** Load and validate rule files; a malformed file is a config error naming the file and the JSON path. */
export function loadRules(files: string[] = builtinRuleFiles()): KnowledgeBase {
  const rules: LoadedRule[] = [];
  const operations: LoadedRule[] = [];
  const ids = new Map<string, string>();
  for (const file of files) {
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
      throw new CoordlintError("config", `Invalid rule file ${file}: ${(error as Error).message}`);
    }
    const errors = validate(data);
    if (errors.length > 0) {
      const first = errors[0]!;
      const where = first.instancePath || "/";
      throw new CoordlintError("config", `Invalid rule file ${file} at ${where}: ${first.message ?? "invalid"}`);
    }
    const ruleFile = data as RuleFile;
    const claim = (id: string): void => {
      const previous = ids.get(id);
      if (previous) throw new CoordlintError("config", `Invalid rule file ${file}: rule id "${id}" is already defined in ${previous}`);
      ids.set(id, file);
    };
    const from = { library: ruleFile.library, modules: ruleFile.modules, ...(ruleFile.sqlDialect ? { sqlDialect: ruleFile.sqlDialect } : {}), source: file };
    for (const site of ruleFile.sites ?? []) {
      claim(site.id);
      rules.push({ ...site, ...from });
    }
    for (const operation of ruleFile.operations ?? []) {
      claim(operation.id);
      if (operation.effect === "sql" && !operation.match.sql?.includes("statement")) {
        throw new CoordlintError("config", `Invalid rule file ${file}: operation "${operation.id}" has effect sql but its match.sql does not hold "statement"`);
      }
      operations.push({ id: operation.id, kind: "non-monotonic", api: operation.api, description: operation.description, match: operation.match, ...from, operation });
    }
  }
  return { sites: rules, operations };
}

export function builtinRuleFiles(): string[] {
  return fs
    .readdirSync(BUILTIN_RULES_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => path.join(BUILTIN_RULES_DIR, name));
}
