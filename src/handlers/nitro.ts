// Nuxt and Nitro server routes: the default-exported event handler of each file under `server/api` and `server/routes`, named from its path and method suffix.
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode } from "../scan/units.js";
import { exportedBindings, joinRoute, wrappedEntries, type ExportedBinding, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { ConfigFiles, exportedConfig, firstFolder, foldersFrom, propertyValue, stringProperty, withExtensions } from "./fs-routes.js";

const CONFIG_EXTENSIONS = ["ts", "js", "mjs", "mts", "cjs", "cts"];
const NUXT_CONFIG = withExtensions("nuxt.config", CONFIG_EXTENSIONS);
const NITRO_CONFIG = withExtensions("nitro.config", CONFIG_EXTENSIONS);
/** Modules that export h3's handler definers: h3 itself, Nitro's runtime (v2 and v3), Nuxt's virtual `#imports`. */
const HANDLER_MODULES = new Set(["h3", "nitropack", "nitropack/runtime", "nitro", "nitro/runtime", "nitro/h3", "#imports"]);
const HANDLER_DEFINERS = new Set(["defineEventHandler", "eventHandler", "defineHandler", "defineCachedEventHandler", "cachedEventHandler", "defineCachedHandler"]);
/** Nitro's file-name suffixes: `users.post.ts`, `status.get.dev.ts`. */
const SUFFIX = /(\.(connect|delete|get|head|options|patch|post|put|query|trace))?(\.(dev|prod|prerender))?$/;

/** The folders Nitro scans for routes in one project, with the URL prefix of each. */
interface ScanDirs {
  /** A Nuxt or Nitro config was found: Nuxt and Nitro v2 auto-import the handler definers there. */
  configured: boolean;
  dirs: { dir: string; prefix: string }[];
}

export const nitro: HandlerFinder = {
  framework: "nitro",
  title: "Nuxt / Nitro server routes",
  // Route files need not import anything (Nuxt auto-imports defineEventHandler): the config file or the folder convention decides.
  modules: [],
  describe:
    "In a project with a `nuxt.config.*` (routes under `server/`, or its `serverDir` string literal) or a `nitro.config.*` (under its `srcDir`/`serverDir` literal, else beside the config), and, with no config but an import of h3, nitropack or nitro, under the first `server/` folder of the path: each file of `api/` (URL prefix `/api`, or `apiBaseURL`) and `routes/` (prefix `/`) whose default export is an event handler: a call to `defineEventHandler`, `eventHandler`, `defineHandler` or `defineCachedEventHandler` (imported from h3, nitropack, nitro or `#imports`, or the auto-imported global when a config exists), a project wrapper call, or a plain function. Named `METHOD /path` from the file's method suffix (`users.post.ts` → `POST /api/users`; no suffix → `ALL`); `index` is its folder, `[id]` → `:id`, `[...slug]` → `*`, `(group)` folders dropped. `server/middleware/` is not a route. What runs: the object form's `onRequest` hooks, then its `handler`.",
  find(context: FinderContext) {
    const { index, resolver, importedModules } = context;
    const configs = new ConfigFiles(index);
    const imported = [...importedModules].some((m) => HANDLER_MODULES.has(m) || m.startsWith("nitropack/") || m.startsWith("nitro/") || m.startsWith("h3/"));
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const binding = exportedBindings(scan.sourceFile).find((b) => b.name === "default");
      if (!binding?.value) continue;
      const fileName = scan.sourceFile.fileName;
      const scanDirs = scanDirsOf(index, configs, fileName, imported);
      const route = scanDirs && routeOf(scanDirs, fileName);
      if (!route) continue;
      const entries = handlerEntries(resolver, binding, scanDirs.configured);
      if (!entries) continue;
      out.push({ name: `${route.method} ${route.path}`, framework: "nitro", node: binding.nameNode, entries });
    }
    return out;
  },
};

function scanDirsOf(index: CodeIndex, configs: ConfigFiles, fileName: string, imported: boolean): ScanDirs | undefined {
  const dir = path.posix.dirname(fileName);
  const config = configs.nearest(dir, [...NUXT_CONFIG, ...NITRO_CONFIG]);
  if (config) {
    const root = path.posix.dirname(config);
    const sourceFile = configs.sourceOf(config);
    const options = sourceFile && exportedConfig(sourceFile);
    const nuxt = path.posix.basename(config).startsWith("nuxt.");
    const nitroOptions = nuxt ? propertyValue(options, "nitro") : options;
    const nitroObject = nitroOptions && ts.isObjectLiteralExpression(skipOuterExpressions(nitroOptions)) ? (skipOuterExpressions(nitroOptions) as ts.ObjectLiteralExpression) : undefined;
    const serverDir = path.posix.join(root, nuxt ? (stringProperty(options, "serverDir") ?? "server") : (stringProperty(options, "serverDir") ?? stringProperty(options, "srcDir") ?? "."));
    return {
      configured: true,
      dirs: [
        { dir: path.posix.join(serverDir, stringProperty(nitroObject, "apiDir") ?? "api"), prefix: stringProperty(nitroObject, "apiBaseURL") ?? "/api" },
        { dir: path.posix.join(serverDir, stringProperty(nitroObject, "routesDir") ?? "routes"), prefix: "/" },
      ],
    };
  }
  if (!imported) return undefined;
  const api = firstFolder(index, fileName, ["server", "api"]);
  const routes = firstFolder(index, fileName, ["server", "routes"]);
  return { configured: false, dirs: [...(api ? [{ dir: api, prefix: "/api" }] : []), ...(routes ? [{ dir: routes, prefix: "/" }] : [])] };
}

/** Nitro's `scanServerRoutes`: the file's path below its scan folder, brackets made params, method and environment suffixes read off. */
function routeOf(scanDirs: ScanDirs, fileName: string): { method: string; path: string } | undefined {
  for (const { dir, prefix } of scanDirs.dirs) {
    const folders = foldersFrom(dir, fileName);
    if (!folders) continue;
    const stem = path.posix.basename(fileName).replace(/\.[A-Za-z]+$/, "");
    const suffix = SUFFIX.exec(stem)!;
    const name = stem.slice(0, suffix.index);
    const segments = [...folders.filter((f) => !/^\(.+\)$/.test(f)), ...(name === "index" ? [] : [name])].map(nitroSegment);
    return { method: suffix[2]?.toUpperCase() ?? "ALL", path: joinRoute(prefix, ...segments) };
  }
  return undefined;
}

function nitroSegment(segment: string): string {
  return segment.replace(/\[\.{3}[^\]]*\]/g, "*").replace(/\[([^/\]]+)\]/g, ":$1");
}

/**
 * What a default export runs when it is an event handler: the function passed to a handler definer (after the
 * object form's `onRequest` hooks), a project wrapper's returned function, or the exported function itself.
 * Undefined for anything else (an object, a string, a definer that is neither h3's nor auto-imported).
 */
function handlerEntries(resolver: Resolver, binding: ExportedBinding, autoImports: boolean): HandlerEntry[] | undefined {
  const value = binding.value!;
  if (ts.isFunctionDeclaration(value)) {
    const unit = resolver.index.unitOf(value);
    return unit ? [{ units: [unit] }] : [];
  }
  let expr = skipOuterExpressions(value);
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
    if (resolver.functionTargets(expr).length > 0) return wrappedEntries(resolver, expr).filter((e) => e.units.length > 0);
    if (!declaration || !resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return undefined;
    expr = skipOuterExpressions(declaration.initializer!);
  }
  if (isFunctionNode(expr)) return wrappedEntries(resolver, expr).filter((e) => e.units.length > 0);
  if (!ts.isCallExpression(expr)) return undefined;
  const definer = definerOf(resolver, expr, autoImports);
  if (definer === "foreign") return undefined;
  const options = expr.arguments[0] && skipOuterExpressions(expr.arguments[0]);
  if (definer && options && ts.isObjectLiteralExpression(options)) {
    const hooks = [propertyValue(options, "onRequest"), propertyValue(options, "middleware"), propertyValue(options, "handler")];
    return hooks.flatMap((hook) => (hook ? listed(hook).flatMap((e) => wrappedEntries(resolver, e)) : [])).filter((e) => e.units.length > 0);
  }
  return wrappedEntries(resolver, expr).filter((e) => e.units.length > 0);
}

/** `definer` for h3's and Nitro's handler definers, `foreign` for a library call that is none of them, undefined for a project wrapper. */
function definerOf(resolver: Resolver, call: ts.CallExpression, autoImports: boolean): "definer" | "foreign" | undefined {
  const callee = skipOuterExpressions(call.expression);
  if (resolver.functionTargets(callee).length > 0) return undefined;
  if (!ts.isIdentifier(callee)) return "foreign";
  const imported = resolver.importOf(callee);
  if (imported) return HANDLER_MODULES.has(imported.module) && HANDLER_DEFINERS.has(imported.path) ? "definer" : "foreign";
  const declared = resolver.declarationsOf(callee).some((d) => resolver.index.isAnalysed(d.getSourceFile().fileName));
  return autoImports && !declared && HANDLER_DEFINERS.has(callee.text) ? "definer" : "foreign";
}

function listed(expression: ts.Expression): ts.Expression[] {
  const expr = skipOuterExpressions(expression);
  return ts.isArrayLiteralExpression(expr) ? [...expr.elements] : [expr];
}
