// Load the analysed code: find tsconfigs (or none), select the files to analyse, build one ts-morph Project per tsconfig.
import fs from "node:fs";
import path from "node:path";
import { Project, ts } from "ts-morph";
import type { Diagnostic } from "../model/report.js";
import { CoordlintError } from "../model/errors.js";

export interface LoadOptions {
  /** Files or directories to analyse. */
  paths: string[];
  /** An explicit tsconfig file (`-p`). */
  project?: string;
  /** Working directory that relative paths are resolved against. */
  cwd: string;
}

/** One compiled program and the analysed files it owns. */
export interface LoadedProgram {
  tsconfig: string | undefined;
  program: ts.Program;
  checker: ts.TypeChecker;
  files: ts.SourceFile[];
}

export interface LoadedCode {
  root: string;
  programs: LoadedProgram[];
  diagnostics: Diagnostic[];
  /** Relative, `/`-separated path of an absolute file name. */
  relative(fileName: string): string;
}

/** Folders that hold dependencies or build output, never analysed. */
const SKIPPED_DIRS = new Set(["node_modules", "dist", "build", "out", "coverage", ".next", ".nuxt", ".output", ".svelte-kit", ".turbo", ".git"]);
const SOURCE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts"];

const DEFAULT_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  allowJs: false,
  jsx: ts.JsxEmit.Preserve,
};

export function loadCode(options: LoadOptions): LoadedCode {
  const diagnostics: Diagnostic[] = [];
  const inputs = (options.paths.length > 0 ? options.paths : options.project ? [] : ["."]).map((p) => path.resolve(options.cwd, p));
  for (const input of inputs) {
    if (!fs.existsSync(input)) throw new CoordlintError("usage", `No such file or directory: ${input}`);
  }
  let explicitConfig: string | undefined;
  if (options.project) {
    explicitConfig = path.resolve(options.cwd, options.project);
    if (fs.existsSync(explicitConfig) && fs.statSync(explicitConfig).isDirectory()) explicitConfig = path.join(explicitConfig, "tsconfig.json");
    if (!fs.existsSync(explicitConfig)) throw new CoordlintError("usage", `Cannot find tsconfig: ${explicitConfig}`);
  }

  const root = commonRoot(inputs.length > 0 ? inputs : [path.dirname(explicitConfig!)]);
  const relative = (fileName: string): string => toPosix(path.relative(root, fileName));

  const configs = explicitConfig ? [explicitConfig] : discoverConfigs(inputs);
  const plans = planPrograms(configs, inputs, explicitConfig !== undefined, diagnostics, relative);

  const claimed = new Set<string>();
  const programs: LoadedProgram[] = [];
  for (const plan of plans) {
    const fileNames = plan.fileNames.filter((f) => !claimed.has(f) && isAnalysable(f) && insideInputs(f, inputs, explicitConfig));
    if (fileNames.length === 0) continue;
    const project = new Project({
      compilerOptions: { ...plan.options, ignoreDeprecations: "6.0", noEmit: true },
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
    });
    const added: string[] = [];
    for (const fileName of fileNames) {
      claimed.add(fileName);
      const text = readSource(fileName, diagnostics, relative);
      if (text === undefined) continue;
      project.createSourceFile(fileName, text, { overwrite: true });
      added.push(fileName);
    }
    if (added.length === 0) continue;
    const program = project.getProgram().compilerObject;
    const files = added.map((f) => program.getSourceFile(f)).filter((sf): sf is ts.SourceFile => sf !== undefined);
    for (const sourceFile of files) reportSyntaxErrors(program, sourceFile, diagnostics, relative);
    programs.push({ tsconfig: plan.tsconfig, program, checker: program.getTypeChecker(), files });
  }
  return { root, programs, diagnostics, relative };
}

interface ProgramPlan {
  tsconfig: string | undefined;
  options: ts.CompilerOptions;
  fileNames: string[];
}

/**
 * Every tsconfig to load, deepest first, so that a file belongs to the nearest tsconfig above it,
 * followed by a config-less plan for the inputs' remaining source files.
 */
function planPrograms(
  configs: string[],
  inputs: string[],
  explicit: boolean,
  diagnostics: Diagnostic[],
  relative: (f: string) => string,
): ProgramPlan[] {
  const plans: ProgramPlan[] = [];
  const seen = new Set<string>();
  const queue = [...configs];
  while (queue.length > 0) {
    const configPath = queue.shift()!;
    if (seen.has(configPath)) continue;
    seen.add(configPath);
    const parsed = parseConfig(configPath, diagnostics, relative);
    if (!parsed) {
      plans.push({ tsconfig: undefined, options: DEFAULT_OPTIONS, fileNames: walkSources(path.dirname(configPath)) });
      continue;
    }
    plans.push({ tsconfig: configPath, options: parsed.options, fileNames: parsed.fileNames.map(path.normalize) });
    for (const reference of parsed.projectReferences ?? []) {
      const refPath = ts.resolveProjectReferencePath(reference);
      if (fs.existsSync(refPath)) queue.push(path.normalize(refPath));
      else diagnostics.push({ severity: "warning", file: relative(configPath), message: `Referenced project not found: ${relative(refPath)}` });
    }
  }
  plans.sort((a, b) => depth(b.tsconfig) - depth(a.tsconfig));
  if (!explicit) {
    const loose = inputs.flatMap((input) => (fs.statSync(input).isDirectory() ? walkSources(input) : [input]));
    plans.push({ tsconfig: undefined, options: DEFAULT_OPTIONS, fileNames: loose });
  }
  return plans;
}

function depth(configPath: string | undefined): number {
  return configPath ? configPath.split(path.sep).length : 0;
}

function parseConfig(configPath: string, diagnostics: Diagnostic[], relative: (f: string) => string): ts.ParsedCommandLine | undefined {
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) {
    diagnostics.push({ severity: "error", file: relative(configPath), message: `Cannot read tsconfig: ${flatten(read.error.messageText)}; analysing its folder with default options` });
    return undefined;
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configPath), { ignoreDeprecations: "6.0" }, configPath);
  for (const error of parsed.errors) {
    // "No inputs were found" is normal for solution-style configs that only list references.
    if (error.code === 18003) continue;
    diagnostics.push({ severity: "warning", file: relative(configPath), message: flatten(error.messageText) });
  }
  return parsed;
}

/** tsconfig.json files under each input directory (or the input file's own folder), skipping dependencies and build output. */
function discoverConfigs(inputs: string[]): string[] {
  const found: string[] = [];
  for (const input of inputs) {
    if (!fs.statSync(input).isDirectory()) {
      if (path.basename(input).startsWith("tsconfig") && input.endsWith(".json")) found.push(input);
      continue;
    }
    walk(input, (dir, entries) => {
      if (entries.some((e) => e.name === "tsconfig.json" && e.isFile())) found.push(path.join(dir, "tsconfig.json"));
    });
  }
  return [...new Set(found)].sort();
}

function walkSources(dir: string): string[] {
  const files: string[] = [];
  walk(dir, (folder, entries) => {
    for (const entry of entries) {
      if (entry.isFile() && isAnalysable(entry.name)) files.push(path.join(folder, entry.name));
    }
  });
  return files.sort();
}

function walk(dir: string, visit: (dir: string, entries: fs.Dirent[]) => void): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  visit(dir, entries);
  for (const entry of entries) {
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith(".")) walk(path.join(dir, entry.name), visit);
  }
}

function isAnalysable(fileName: string): boolean {
  if (/\.d\.[cm]?ts$/.test(fileName)) return false;
  if (!SOURCE_EXTENSIONS.some((ext) => fileName.endsWith(ext))) return false;
  return !fileName.split(/[\\/]/).some((segment) => SKIPPED_DIRS.has(segment));
}

function insideInputs(fileName: string, inputs: string[], explicitConfig: string | undefined): boolean {
  if (explicitConfig && inputs.length === 0) return true;
  return inputs.some((input) => fileName === input || fileName.startsWith(input + path.sep));
}

function readSource(fileName: string, diagnostics: Diagnostic[], relative: (f: string) => string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(fileName, "utf8");
  } catch (error) {
    diagnostics.push({ severity: "error", file: relative(fileName), message: `Cannot read file: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
    return undefined;
  }
  if (text.includes("\u0000")) {
    diagnostics.push({ severity: "error", file: relative(fileName), message: "Not a text file (contains NUL bytes); skipped" });
    return undefined;
  }
  return text;
}

function reportSyntaxErrors(program: ts.Program, sourceFile: ts.SourceFile, diagnostics: Diagnostic[], relative: (f: string) => string): void {
  const errors = program.getSyntacticDiagnostics(sourceFile);
  if (errors.length === 0) return;
  const first = errors[0]!;
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(first.start ?? 0);
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  diagnostics.push({
    severity: "warning",
    file: relative(sourceFile.fileName),
    line: line + 1,
    column: character + 1,
    message: `Syntax error: ${flatten(first.messageText)}${more}; the rest of the file was analysed`,
  });
}

function flatten(message: string | ts.DiagnosticMessageChain): string {
  return ts.flattenDiagnosticMessageText(message, " ");
}

function commonRoot(paths: string[]): string {
  const dirs = paths.map((p) => (fs.existsSync(p) && fs.statSync(p).isDirectory() ? p : path.dirname(p)));
  let root = dirs[0]!;
  for (const dir of dirs.slice(1)) {
    while (!(dir === root || dir.startsWith(root.endsWith(path.sep) ? root : root + path.sep))) root = path.dirname(root);
  }
  return root;
}

export function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}
