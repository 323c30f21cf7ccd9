// Next.js: app-router route handlers, pages-router API routes and server actions, found by file-system and directive conventions.
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, type FunctionUnit } from "../scan/units.js";
import { type ExportedBinding, exportedBindings, exportEntries, type FinderContext, type HandlerCandidate, type HandlerFinder, joinRoute } from "./finder.js";
import { bracketSegment, EXPORTED_METHODS, foldersBelow, ROUTE_FILE, SOURCE_FILE } from "./fs-routes.js";

export const nextjs: HandlerFinder = {
  framework: "nextjs",
  title: "Next.js",
  // Route files need not import anything from `next`: the file-system conventions below are the signal.
  modules: [],
  describe:
    "App router: `app/**/route.ts` (or `src/app/`) exporting GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS (function, `const`, `export { h as GET }`, a re-export from another module, or `export const { GET, POST } = handlers`), named `METHOD /path` from the folders: `[id]` → `:id`, `[...slug]` and `[[...slug]]` → `*`, route groups `(group)` and `@slot` folders dropped, `_private` folders not routed. Pages router: the default export of `pages/api/**` (or `src/pages/api/`), named `ALL /api/…` (`index` is its folder). Server actions: each exported async function of a file that starts with the `\"use server\"` directive, and each function whose body starts with it, named `action <export or function name>`.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const sourceFile = scan.sourceFile;
      const appFolders = foldersBelow(index, sourceFile.fileName, ["app"]);
      if (appFolders && ROUTE_FILE.test(path.posix.basename(sourceFile.fileName))) {
        const route = routeOf(appFolders);
        if (route !== undefined) {
          for (const binding of exportedBindings(sourceFile)) {
            if (!EXPORTED_METHODS.has(binding.name)) continue;
            out.push({ name: `${binding.name} ${route}`, framework: "nextjs", node: binding.nameNode, entries: exportEntries(resolver, binding) });
          }
        }
      }
      const apiFolders = foldersBelow(index, sourceFile.fileName, ["pages", "api"]);
      if (apiFolders && SOURCE_FILE.test(sourceFile.fileName)) {
        const stem = path.posix.basename(sourceFile.fileName).replace(SOURCE_FILE, "");
        const route = routeOf(["api", ...apiFolders, ...(stem === "index" ? [] : [stem])]);
        const binding = exportedBindings(sourceFile).find((b) => b.name === "default");
        if (route !== undefined && binding) out.push({ name: `ALL ${route}`, framework: "nextjs", node: binding.nameNode, entries: exportEntries(resolver, binding) });
      }
      if (hasDirective(sourceFile.statements, "use server")) {
        for (const binding of exportedBindings(sourceFile)) {
          if (!isAction(resolver, binding)) continue;
          out.push({ name: `action ${binding.name}`, framework: "nextjs", node: binding.nameNode, entries: exportEntries(resolver, binding) });
        }
      } else {
        for (const unit of scan.units) {
          const body = unit.node.body;
          if (body && ts.isBlock(body) && hasDirective(body.statements, "use server")) {
            out.push({ name: `action ${unit.name}`, framework: "nextjs", node: functionNameNode(unit), entries: [{ units: [unit] }] });
          }
        }
      }
    }
    return out;
  },
};

/** `/orders/:id` from folder names; undefined for a private (`_folder`) path, which Next.js does not route. */
function routeOf(folders: string[]): string | undefined {
  const segments: string[] = [];
  for (const folder of folders) {
    if (folder.startsWith("_")) return undefined;
    if (folder.startsWith("@")) continue;
    const segment = bracketSegment(folder);
    if (segment !== undefined) segments.push(segment);
  }
  return joinRoute(...segments);
}

/** Next.js only turns async functions into actions; a wrapper call (`client.action(async () => …)`) yields one. */
function isAction(resolver: Resolver, binding: ExportedBinding): boolean {
  const value = binding.value && (ts.isFunctionDeclaration(binding.value) ? binding.value : skipOuterExpressions(binding.value));
  if (!value) return false;
  if (ts.isCallExpression(value)) return true;
  if (isFunctionNode(value)) return isAsync(value);
  if (ts.isIdentifier(value)) return resolver.functionTargets(value).some((u) => isAsync(u.node));
  return false;
}

function isAsync(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

/** A directive prologue: the string-literal statements a file or function body starts with. */
function hasDirective(statements: ts.NodeArray<ts.Statement>, directive: string): boolean {
  for (const statement of statements) {
    if (!ts.isExpressionStatement(statement) || !ts.isStringLiteral(statement.expression)) return false;
    if (statement.expression.text === directive) return true;
  }
  return false;
}

function functionNameNode(unit: FunctionUnit): ts.Node {
  const node = unit.node;
  if (node.name) return node.name;
  const holder = node.parent;
  if ((ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder)) && holder.name) return holder.name;
  return node;
}
