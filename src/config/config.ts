// Configuration: find coordlint.config.json(c) above the analysed root (or take the one named), validate it against its JSON schema, expand its rule-file globs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import { parse, printParseErrorCode, type ParseError } from "jsonc-parser";
import { globSync } from "tinyglobby";
import { CoordlintError } from "../model/errors.js";
import type { Budget } from "../gate/budgets.js";
import type { FindingRule } from "../model/report.js";

/** What a configuration file holds (src/schema/config.schema.json). */
export interface CoordlintConfig {
  $schema?: string;
  /** Extra rule files: paths or glob patterns, relative to the configuration file. */
  ruleFiles?: string[];
  /** Severity per finding rule id (`off`, `warn`, `error`). */
  rules?: Partial<Record<FindingRule, RuleSeverity>>;
  suppressions?: { requireReason?: boolean };
  /** The most coordination groups of handlers may have; the last matching entry applies. */
  budgets?: Budget[];
}

export type RuleSeverity = "off" | "warn" | "error";

/** The configuration a run uses. */
export interface ResolvedConfig {
  /** Absolute paths of the extra rule files, sorted, each once. */
  ruleFiles: string[];
  /** Severity per finding rule id, defaults filled in. */
  rules: Record<FindingRule, RuleSeverity>;
  /** An inline suppression must give a reason. */
  requireReason: boolean;
  budgets: Budget[];
}

/** With no configuration, a likely race is an error and the other findings are warnings (issue 5). */
export const DEFAULT_SEVERITIES: Record<FindingRule, RuleSeverity> = {
  "calm/unguarded-non-monotonic": "error",
  "calm/unneeded-coordination": "warn",
  "hat/unavailable-isolation": "warn",
  "fanout/all-shards": "warn",
  "fanout/partial-results": "warn",
  "budget/exceeded": "error",
};

export interface ConfigOptions {
  /** The analysed root: discovery starts here. */
  root: string;
  /** What a named configuration file and the `config` object's patterns are relative to. */
  cwd: string;
  /** A configuration file to use instead of discovering one; `false`: none. */
  configFile?: string | false;
  /** Settings applied over the file's, key by key (patterns relative to `cwd`). */
  config?: CoordlintConfig;
}

/** The names a configuration file may have; both in one folder is an error. */
export const CONFIG_FILE_NAMES = ["coordlint.config.json", "coordlint.config.jsonc"] as const;

const SCHEMA_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../schema/config.schema.json");

let validator: ReturnType<Ajv["compile"]> | undefined;

/** The file named, or the nearest one found, validated, over which the inline settings apply; a problem is a config error. */
export function resolveConfig(options: ConfigOptions): ResolvedConfig {
  const file = options.configFile === false ? undefined : options.configFile !== undefined ? namedFile(path.resolve(options.cwd, options.configFile)) : discover(options.root);
  const fromFile = file ? readConfig(file) : {};
  const inline = "Invalid config in the analyze() options";
  if (options.config !== undefined) checkShape(options.config, inline);
  // An inline `ruleFiles` replaces the file's, as each inline key will.
  const patterns = options.config?.ruleFiles !== undefined
    ? { list: options.config.ruleFiles, base: options.cwd, owner: inline }
    : { list: fromFile.ruleFiles ?? [], base: file ? path.dirname(file) : options.cwd, owner: `Invalid config file ${file}` };
  const ruleFiles = new Set<string>();
  for (const pattern of patterns.list) {
    const matches = globSync([pattern], { cwd: patterns.base, absolute: true, onlyFiles: true, expandDirectories: false });
    if (matches.length === 0) throw new CoordlintError("config", `${patterns.owner}: ruleFiles pattern "${pattern}" matches no files`);
    for (const match of matches) ruleFiles.add(path.normalize(match));
  }
  // Inline rule severities apply over the file's, rule by rule.
  const rules = { ...DEFAULT_SEVERITIES, ...fromFile.rules, ...options.config?.rules };
  const requireReason = options.config?.suppressions?.requireReason ?? fromFile.suppressions?.requireReason ?? true;
  const budgets = options.config?.budgets ?? fromFile.budgets ?? [];
  return { ruleFiles: [...ruleFiles].sort(), rules, requireReason, budgets };
}

function namedFile(file: string): string {
  if (!fs.existsSync(file)) throw new CoordlintError("config", `Cannot find config file: ${file}`);
  return file;
}

/** The nearest folder from `root` upward, up to the first holding `.git` (the repository's root), with a configuration file. */
function discover(root: string): string | undefined {
  for (let dir = root; ; dir = path.dirname(dir)) {
    const found = CONFIG_FILE_NAMES.map((name) => path.join(dir, name)).filter((file) => fs.existsSync(file));
    if (found.length > 1) throw new CoordlintError("config", `Found both ${CONFIG_FILE_NAMES.join(" and ")} in ${dir}: keep one`);
    const manifest = path.join(dir, "package.json");
    // A `coordlint` key in package.json is a configuration too, where no configuration file stands beside it.
    if (found.length === 0 && holdsKey(manifest)) return manifest;
    if (found.length === 1 && holdsKey(manifest)) throw new CoordlintError("config", `Found both ${path.basename(found[0]!)} and a "coordlint" key in package.json in ${dir}: keep one`);
    if (found.length === 1) return found[0];
    if (fs.existsSync(path.join(dir, ".git")) || path.dirname(dir) === dir) return undefined;
  }
}

function readConfig(file: string): CoordlintConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new CoordlintError("config", `Cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const errors: ParseError[] = [];
  const data: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    const before = text.slice(0, first.offset).split("\n");
    const words = printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    throw new CoordlintError("config", `Invalid config file ${file} at line ${before.length}, column ${before[before.length - 1]!.length + 1}: ${words}`);
  }
  if (path.basename(file) === "package.json") {
    const key = (data as { coordlint?: unknown } | null)?.coordlint;
    if (key === undefined) throw new CoordlintError("config", `Invalid config file ${file}: it has no "coordlint" key`);
    checkShape(key, `Invalid config in ${file} ("coordlint" key)`);
    return key as CoordlintConfig;
  }
  checkShape(data, `Invalid config file ${file}`);
  return data as CoordlintConfig;
}

function holdsKey(manifest: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { coordlint?: unknown }).coordlint !== undefined;
  } catch {
    return false;
  }
}

function checkShape(data: unknown, owner: string): void {
  if (!validator) validator = new Ajv({ allErrors: false, strict: false }).compile(JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8")) as object);
  if (validator(data)) return;
  const first: ErrorObject = validator.errors![0]!;
  if (first.keyword === "additionalProperties") {
    const key = (first.params as { additionalProperty: string }).additionalProperty;
    throw new CoordlintError("config", `${owner}: unknown key "${key}"${first.instancePath ? ` in ${first.instancePath}` : ""}`);
  }
  throw new CoordlintError("config", `${owner} at ${first.instancePath || "/"}: ${first.message ?? "invalid"}`);
}
