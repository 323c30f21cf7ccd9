// Load the analysed code: find tsconfigs (or none) and the workspace's packages, select the files to analyse, build one ts.Program per tsconfig.
import fs from "node:fs";
import path from "node:path";
import { Project, ts } from "ts-morph";
import type { Diagnostic } from "../model/report.js";
import { CoordlintError } from "../model/errors.js";
import { findGeneratedClients, type GeneratedClient } from "./generated-clients.js";
import { findUniqueKeys, type UniqueKey } from "./unique-keys.js";

export interface LoadOptions {
  /** Files or directories to analyse. */
  paths: string[];
  /** An explicit tsconfig file (`-p`). */
  project?: string;
  /** Working directory that relative paths are resolved against. */
  cwd: string;
  /** Analyse test files and folders too (`*.test.ts`, `__tests__/`, `test/`…), which are left out by default. */
  includeTests?: boolean;
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
  /** Library clients generated into the project (Prisma's), whose imports stand for the library. */
  generatedClients: GeneratedClient[];
  /** Unique constraints its schemas declare, for CALM. */
  uniqueKeys: UniqueKey[];
  /** Relative, `/`-separated path of an absolute file name. */
  relative(fileName: string): string;
}

/** Folders that hold dependencies or build output, never analysed. */
const SKIPPED_DIRS = new Set(["node_modules", "dist", "build", "out", "coverage", ".next", ".nuxt", ".output", ".svelte-kit", ".turbo", ".git"]);
const SOURCE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts"];
/** Tests register routes and open transactions of their own: not the service's handlers, left out unless asked for. */
const TEST_DIRS = new Set(["__tests__", "__mocks__", "test", "tests", "e2e", "__e2e__"]);
const TEST_FILE = /\.(test|spec|e2e-spec|e2e|stories)\.[cm]?tsx?$/;

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
  const isAnalysable = analysableUnder(root, options.includeTests === true);

  const workspace = findWorkspace(root);
  const host = linkedHost(workspace);
  const configs = explicitConfig ? [explicitConfig] : discoverConfigs(inputs);
  const plans = planPrograms(configs, inputs, explicitConfig !== undefined, host, diagnostics, relative);
  const inputPackages = new Set((inputs.length > 0 ? inputs : [explicitConfig!]).map((input) => packageDirOf(workspace, input)));

  const claimed = new Set<string>();
  const programs: LoadedProgram[] = [];
  const sources = new SourceCache(host);
  for (const plan of plans) {
    const fileNames = plan.fileNames.filter((f) => !claimed.has(f) && isAnalysable(f) && insideInputs(f, inputs, explicitConfig));
    if (fileNames.length === 0) continue;
    const added: string[] = [];
    for (const fileName of fileNames) {
      claimed.add(fileName);
      const text = readSource(fileName, diagnostics, relative);
      if (text === undefined) continue;
      sources.texts.set(fileName, text);
      added.push(fileName);
    }
    if (added.length === 0) continue;
    const compilerOptions: ts.CompilerOptions = { ...plan.options, ignoreDeprecations: "6.0", noEmit: true };
    const program = ts.createProgram({ rootNames: added, options: compilerOptions, host: sources.compilerHost(compilerOptions) });
    // Sources of other workspace packages that the analysed code runs (value imports, followed transitively) are
    // analysed with it, so calls are followed across packages; type-only imports bring no code.
    const resolutions = ts.createModuleResolutionCache(root, (f) => f, compilerOptions);
    const pending = [...added];
    const visited = new Set(pending);
    while (pending.length > 0) {
      const sourceFile = program.getSourceFile(pending.pop()!);
      if (!sourceFile) continue;
      for (const specifier of valueImports(sourceFile)) {
        const mode = ts.getModeForUsageLocation(sourceFile, specifier, compilerOptions);
        const resolved = ts.resolveModuleName(specifier.text, sourceFile.fileName, compilerOptions, host, resolutions, undefined, mode).resolvedModule;
        if (!resolved) continue;
        const fileName = path.normalize(resolved.resolvedFileName);
        if (visited.has(fileName) || !isAnalysable(fileName)) continue;
        const owner = packageDirOf(workspace, fileName);
        if (owner === undefined) continue;
        visited.add(fileName);
        pending.push(fileName);
        if (inputPackages.has(owner) || claimed.has(fileName) || insideInputs(fileName, inputs, undefined)) continue;
        claimed.add(fileName);
        added.push(fileName);
      }
    }
    const files = added.map((f) => program.getSourceFile(f)).filter((sf): sf is ts.SourceFile => sf !== undefined);
    for (const sourceFile of files) reportSyntaxErrors(program, sourceFile, diagnostics, relative);
    programs.push({ tsconfig: plan.tsconfig, program, checker: program.getTypeChecker(), files });
  }
  const packageDirs = [root, workspace.root, ...workspace.packages.values(), ...configs.map((c) => path.dirname(c))];
  const generatedClients = findGeneratedClients(packageDirs);
  const uniqueKeys = findUniqueKeys(packageDirs);
  return { root, programs, diagnostics, generatedClients, uniqueKeys, relative };
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
  host: ts.ParseConfigHost,
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
    const parsed = parseConfig(configPath, host, diagnostics, relative);
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

/** Module specifiers a file imports for their values: static imports and re-exports that are not type-only, `import x = require()`, `import()` and `require()`. */
function valueImports(sourceFile: ts.SourceFile): ts.StringLiteralLike[] {
  const out: ts.StringLiteralLike[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly && ts.isStringLiteralLike(node.moduleSpecifier)) out.push(node.moduleSpecifier);
      return;
    }
    if (ts.isExportDeclaration(node)) {
      if (!node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteralLike(node.moduleSpecifier)) out.push(node.moduleSpecifier);
      return;
    }
    if (ts.isImportEqualsDeclaration(node) && !node.isTypeOnly && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteralLike(node.moduleReference.expression)) {
      out.push(node.moduleReference.expression);
      return;
    }
    if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0]!) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))) {
      out.push(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return out;
}

/** The packages of the workspace the analysed code belongs to: its root folder and each package's folder by package name. */
interface Workspace {
  root: string;
  packages: Map<string, string>;
}

/**
 * The workspace around `start`: the nearest folder above it (up to the repository's root) whose package.json
 * declares `workspaces` or that holds a pnpm-workspace.yaml, else `start` itself; its packages are the named
 * package.json files under it.
 */
function findWorkspace(start: string): Workspace {
  let root = start;
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "pnpm-workspace.yaml")) || readPackageJson(dir)?.workspaces !== undefined) {
      root = dir;
      break;
    }
    if (fs.existsSync(path.join(dir, ".git")) || path.dirname(dir) === dir) break;
  }
  const packages = new Map<string, string>();
  walk(root, (dir, entries) => {
    if (!entries.some((e) => e.name === "package.json" && e.isFile())) return;
    const name = readPackageJson(dir)?.name;
    if (typeof name === "string" && name !== "" && !packages.has(name)) packages.set(name, dir);
  });
  return { root, packages };
}

function readPackageJson(dir: string): { name?: unknown; workspaces?: unknown } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown; workspaces?: unknown };
  } catch {
    return undefined;
  }
}

/** The folder of the workspace package a file lies in (the deepest one), or undefined. */
function packageDirOf(workspace: Workspace, fileName: string): string | undefined {
  let owner: string | undefined;
  for (const dir of workspace.packages.values()) {
    if ((fileName === dir || fileName.startsWith(dir + path.sep)) && (owner === undefined || dir.length > owner.length)) owner = dir;
  }
  return owner;
}

/**
 * Where `…/node_modules/<workspace package>/rest` leads when no install linked it: the package's own folder
 * (`@acme/lib/server/x` → packages/lib/server/x), as npm, yarn and pnpm workspaces link them.
 */
function linkedPath(workspace: Workspace, fileName: string): string | undefined {
  const posix = fileName.replace(/\\/g, "/");
  const marker = "/node_modules/";
  const at = posix.lastIndexOf(marker);
  if (at < 0 || !isInside(workspace.root, posix.slice(0, at))) return undefined;
  const segments = posix.slice(at + marker.length).split("/");
  const nameLength = segments[0]!.startsWith("@") ? 2 : 1;
  const dir = workspace.packages.get(segments.slice(0, nameLength).join("/"));
  return dir === undefined ? undefined : path.join(dir, ...segments.slice(nameLength));
}

function isInside(root: string, dir: string): boolean {
  const posixRoot = toPosix(root);
  return dir === posixRoot || dir.startsWith(posixRoot.endsWith("/") ? posixRoot : posixRoot + "/");
}

/** The file system with workspace packages linked under every node_modules folder of the workspace: for tsconfig `extends` and module resolution. */
type LinkedHost = ts.ParseConfigHost & ts.ModuleResolutionHost & Required<Pick<ts.ModuleResolutionHost, "directoryExists" | "realpath">>;

function linkedHost(workspace: Workspace): LinkedHost {
  const realpath = (fileName: string): string => ts.sys.realpath?.(fileName) ?? fileName;
  // Module resolution asks the same questions of the file system over and over: answer each once.
  const fileExistsCache = new Map<string, boolean>();
  const directoryExistsCache = new Map<string, boolean>();
  const sys = {
    fileExists: (fileName: string): boolean => {
      let known = fileExistsCache.get(fileName);
      if (known === undefined) fileExistsCache.set(fileName, (known = ts.sys.fileExists(fileName)));
      return known;
    },
    directoryExists: (dir: string): boolean => {
      let known = directoryExistsCache.get(dir);
      if (known === undefined) directoryExistsCache.set(dir, (known = ts.sys.directoryExists(dir)));
      return known;
    },
  };
  const scopes = new Set([...workspace.packages.keys()].filter((name) => name.startsWith("@")).map((name) => name.split("/")[0]!));
  return {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    readDirectory: ts.sys.readDirectory,
    getCurrentDirectory: ts.sys.getCurrentDirectory,
    getDirectories: ts.sys.getDirectories,
    fileExists(fileName) {
      if (sys.fileExists(fileName)) return true;
      const linked = linkedPath(workspace, fileName);
      return linked !== undefined && sys.fileExists(linked);
    },
    readFile(fileName) {
      const text = ts.sys.readFile(fileName);
      if (text !== undefined) return text;
      const linked = linkedPath(workspace, fileName);
      return linked === undefined ? undefined : ts.sys.readFile(linked);
    },
    directoryExists(dir) {
      if (sys.directoryExists(dir)) return true;
      const posix = dir.replace(/\\/g, "/").replace(/\/+$/, "");
      const name = path.posix.basename(posix);
      const parent = path.posix.dirname(posix);
      // TypeScript looks into a node_modules folder only when it exists: the links live in folders no install made.
      if (name === "node_modules") return isInside(workspace.root, parent);
      if (path.posix.basename(parent) === "node_modules" && scopes.has(name)) return isInside(workspace.root, path.posix.dirname(parent));
      const linked = linkedPath(workspace, dir);
      return linked !== undefined && sys.directoryExists(linked);
    },
    realpath(fileName) {
      if (sys.fileExists(fileName) || sys.directoryExists(fileName)) return realpath(fileName);
      const linked = linkedPath(workspace, fileName);
      return realpath(linked ?? fileName);
    },
  };
}

/** Where ts-morph serves TypeScript's own lib files (lib.es2022.d.ts…) from memory: no typescript package need be installed. */
const LIB_FOLDER = "/node_modules/typescript/lib";

/** Compiler options that change how a file parses or binds: programs agreeing on them share its syntax tree. */
const SOURCE_FILE_OPTIONS = ["jsx", "jsxImportSource", "importHelpers", "alwaysStrict", "moduleDetection"] as const;

/**
 * Source files parsed once and shared by every program whose options parse them alike, as a language service's
 * document registry does: in a monorepo each package's program reaches the other packages' sources.
 */
class SourceCache {
  readonly texts = new Map<string, string>();
  private readonly parsed = new Map<string, ts.SourceFile>();
  private readonly libs = new Project({ skipAddingFilesFromTsConfig: true }).getModuleResolutionHost();

  constructor(private readonly host: LinkedHost) {}

  compilerHost(options: ts.CompilerOptions): ts.CompilerHost {
    const base = ts.createCompilerHost(options, true);
    const settings = SOURCE_FILE_OPTIONS.map((name) => String(options[name])).join("|");
    const isLib = (fileName: string): boolean => toPosix(fileName).startsWith(LIB_FOLDER + "/");
    const readFile = (fileName: string): string | undefined => (isLib(fileName) ? this.libs.readFile(fileName) : this.texts.get(path.normalize(fileName)) ?? this.host.readFile(fileName));
    return {
      ...base,
      getDefaultLibLocation: () => LIB_FOLDER,
      getDefaultLibFileName: (o) => `${LIB_FOLDER}/${ts.getDefaultLibFileName(o)}`,
      fileExists: (fileName) => (isLib(fileName) ? this.libs.fileExists(fileName) : this.host.fileExists(fileName)),
      readFile,
      directoryExists: (dir) => this.host.directoryExists(dir),
      realpath: (fileName) => this.host.realpath(fileName),
      getSourceFile: (fileName, languageVersionOrOptions) => {
        const parse: ts.CreateSourceFileOptions = typeof languageVersionOrOptions === "object" ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
        const key = `${fileName}|${parse.languageVersion}|${parse.impliedNodeFormat}|${parse.jsDocParsingMode}|${settings}`;
        const cached = this.parsed.get(key);
        if (cached) return cached;
        const text = readFile(fileName);
        if (text === undefined) return undefined;
        const sourceFile = ts.createSourceFile(fileName, text, parse, true);
        this.parsed.set(key, sourceFile);
        return sourceFile;
      },
    };
  }
}

function depth(configPath: string | undefined): number {
  return configPath ? configPath.split(path.sep).length : 0;
}

function parseConfig(configPath: string, host: ts.ParseConfigHost, diagnostics: Diagnostic[], relative: (f: string) => string): ts.ParsedCommandLine | undefined {
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) {
    diagnostics.push({ severity: "error", file: relative(configPath), message: `Cannot read tsconfig: ${flatten(read.error.messageText)}; analysing its folder with default options` });
    return undefined;
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, host, path.dirname(configPath), { ignoreDeprecations: "6.0" }, configPath);
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
      if (entry.isFile() && isSourceFile(entry.name)) files.push(path.join(folder, entry.name));
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

function isSourceFile(fileName: string): boolean {
  return !/\.d\.[cm]?ts$/.test(fileName) && SOURCE_EXTENSIONS.some((ext) => fileName.endsWith(ext));
}

/** Source files that are not dependencies, build output or (unless included) tests, judged by their path below the analysed root. */
function analysableUnder(root: string, includeTests: boolean): (fileName: string) => boolean {
  return (fileName) => {
    if (!isSourceFile(fileName)) return false;
    if (!includeTests && TEST_FILE.test(fileName)) return false;
    const segments = path.relative(root, fileName).split(/[\\/]/).slice(0, -1).filter((segment) => segment !== "..");
    return !segments.some((segment) => SKIPPED_DIRS.has(segment) || (!includeTests && TEST_DIRS.has(segment)));
  };
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

export function commonRoot(paths: string[]): string {
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
