// SvelteKit: `+server` endpoints, server `load` functions and form actions under the routes folder, named from their folders.
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { type ExportedBinding, exportedBindings, exportEntries, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder, joinRoute, wrappedEntries } from "./finder.js";
import { bracketSegment, ConfigFiles, EXPORTED_METHODS, exportedConfig, firstFolder, foldersFrom, stringProperty, withExtensions } from "./fs-routes.js";

const SVELTE_CONFIG = withExtensions("svelte.config", ["js", "mjs", "cjs", "ts"]);
const ROUTE_FILE = /^\+(server|page\.server|layout\.server)\.[cm]?[jt]s$/;

export const sveltekit: HandlerFinder = {
  framework: "sveltekit",
  title: "SvelteKit",
  modules: ["@sveltejs/kit"],
  describe:
    "Files of the routes folder (`src/routes`, or `kit.files.routes` of `svelte.config.*` when it is a string literal): `+server.ts` exports GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (named `METHOD /path`) and `fallback` (`ALL /path`); the `load` export of `+page.server.ts` and `+layout.server.ts` (`GET /path`); the form actions of `+page.server.ts`'s `actions` object (`POST /path` for `default`, `POST /path?/name` for a named action). Paths come from the folders: `[id]` and matchers `[id=integer]` → `:id`, `[[lang]]` → `:lang?`, `[...rest]` → `*`, route groups `(group)` dropped. Universal `+page.ts`/`+layout.ts` loads, which also run in the browser, are not handlers.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const configs = new ConfigFiles(index);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const fileName = scan.sourceFile.fileName;
      const kind = ROUTE_FILE.exec(path.posix.basename(fileName))?.[1];
      if (!kind) continue;
      const routes = routesFolder(index, configs, fileName);
      const folders = routes && foldersFrom(routes, fileName);
      if (!folders) continue;
      const route = joinRoute(...folders.map(bracketSegment));
      for (const binding of exportedBindings(scan.sourceFile)) {
        if (kind === "server" && (EXPORTED_METHODS.has(binding.name) || binding.name === "fallback")) {
          out.push(candidate(`${binding.name === "fallback" ? "ALL" : binding.name} ${route}`, binding.nameNode, exportEntries(resolver, binding)));
        } else if (kind !== "server" && binding.name === "load") {
          out.push(candidate(`GET ${route}`, binding.nameNode, exportEntries(resolver, binding)));
        } else if (kind === "page.server" && binding.name === "actions") {
          for (const action of actionsOf(resolver, binding)) {
            out.push(candidate(`POST ${route}${action.name === "default" ? "" : `?/${action.name}`}`, action.node, action.entries));
          }
        }
      }
    }
    return out;
  },
};

function candidate(name: string, node: ts.Node, entries: HandlerEntry[]): HandlerCandidate {
  return { name, framework: "sveltekit", node, entries };
}

/** The routes folder of the SvelteKit project holding the file: from the nearest svelte.config, else the first `src/routes` of the path. */
function routesFolder(index: CodeIndex, configs: ConfigFiles, fileName: string): string | undefined {
  const config = configs.nearest(path.posix.dirname(fileName), SVELTE_CONFIG);
  if (config) {
    const sourceFile = configs.sourceOf(config);
    const routes = sourceFile && stringProperty(exportedConfig(sourceFile), "kit", "files", "routes");
    return path.posix.join(path.posix.dirname(config), routes ?? "src/routes");
  }
  return firstFolder(index, fileName, ["src", "routes"]);
}

/** Each action of `export const actions = { default: …, create: … }` (also `satisfies Actions`, or a `const` it names). */
function actionsOf(resolver: Resolver, binding: ExportedBinding): { name: string; node: ts.Node; entries: HandlerEntry[] }[] {
  let value = binding.value && !ts.isFunctionDeclaration(binding.value) ? skipOuterExpressions(binding.value) : undefined;
  if (value && ts.isIdentifier(value)) {
    const declaration = resolver.declarationsOf(value).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
    value = declaration && skipOuterExpressions(declaration.initializer!);
  }
  if (!value || !ts.isObjectLiteralExpression(value)) return [];
  const actions: { name: string; node: ts.Node; entries: HandlerEntry[] }[] = [];
  for (const property of value.properties) {
    const name = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : undefined;
    if (!name || !property.name) continue;
    let entries: HandlerEntry[] = [];
    if (ts.isPropertyAssignment(property)) entries = wrappedEntries(resolver, property.initializer).filter((e) => e.units.length > 0);
    else if (ts.isShorthandPropertyAssignment(property)) entries = [{ expression: property.name, units: resolver.functionTargets(property.name) }].filter((e) => e.units.length > 0);
    else if (ts.isMethodDeclaration(property)) {
      const unit = resolver.index.unitOf(property);
      entries = unit ? [{ units: [unit] }] : [];
    } else continue;
    actions.push({ name, node: property.name, entries });
  }
  return actions;
}
