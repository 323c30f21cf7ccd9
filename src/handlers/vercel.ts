// Vercel Functions: the files of a project's top-level `api/` folder, by their default export or their HTTP-method exports.
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { type ExportedBinding, exportedBindings, exportEntries, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder, joinRoute } from "./finder.js";
import { isAppAdapter, memberNamed, ProjectFiles, projectRoot, propertyEntries, TEST_FILE } from "./serverless.js";

const SOURCE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
/** `route.ts` files under `api/` follow the app-router convention, handled with the file-system route finders. */
const ROUTE_FILE = /^route\.(?:[cm]?[jt]s|[jt]sx)$/;
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
const VERCEL_CONFIG = ["vercel.json"];

export const vercel: HandlerFinder = {
  framework: "vercel",
  title: "Vercel Functions",
  // A function file need not import anything from Vercel (`export default function handler(req, res)`).
  modules: [],
  describe:
    "Files under the top-level `api/` folder of a project deployed on Vercel (one with a vercel.json next to its `api/` folder or that imports `@vercel/node` or `@vercel/functions`) and not a Next.js app (which routes `pages/api/` and `app/` instead): the default export (`(req: VercelRequest, res: VercelResponse) => …`, or an object with a `fetch` method) is named `ALL /api/<path>`, each exported GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS `METHOD /api/<path>`; the path comes from the file path (`index` is its folder, `[id]` → `:id`, `[...slug]` and `[[...slug]]` → `*`); files and folders starting with `_` or `.` are not functions, and `route.ts` files are left to the app-router convention. The project root is the folder of the nearest vercel.json, else the file's tsconfig folder. An export that is a web framework's app (`export default app`, `handle(app)` from hono/vercel) is not reported: the app's routes are the handlers.",
  find(context: FinderContext) {
    const { index, resolver, importedModules } = context;
    const usesNext = [...importedModules].some((m) => m === "next" || m.startsWith("next/"));
    if (usesNext) return [];
    const importsVercel = [...importedModules].some((m) => m === "@vercel/node" || m === "@vercel/functions" || m.startsWith("@vercel/functions/"));
    const files = new ProjectFiles(index);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const sourceFile = scan.sourceFile;
      const route = functionRoute(index, files, sourceFile.fileName, importsVercel);
      if (route === undefined) continue;
      for (const binding of exportedBindings(sourceFile)) {
        const method = binding.name === "default" ? "ALL" : METHODS.has(binding.name) ? binding.name : undefined;
        if (!method || !binding.value) continue;
        if (!ts.isFunctionDeclaration(binding.value) && isAppAdapter(resolver, binding.value)) continue;
        out.push({ name: `${method} ${route}`, framework: "vercel", node: binding.nameNode, entries: functionEntries(resolver, binding) });
      }
    }
    return out;
  },
};

/** `/api/orders/:id` for a function file of the top-level `api/` folder; undefined for any other file. */
function functionRoute(index: CodeIndex, files: ProjectFiles, fileName: string, importsVercel: boolean): string | undefined {
  if (!SOURCE_FILE.test(fileName) || fileName.endsWith(".d.ts") || TEST_FILE.test(index.code.relative(fileName))) return undefined;
  const config = files.nearest(fileName, VERCEL_CONFIG);
  if (!config && !importsVercel) return undefined;
  const root = config ? path.dirname(config) : projectRoot(index, fileName);
  const parts = path.relative(root, path.resolve(fileName)).split(path.sep);
  if (parts[0] !== "api" || parts.length < 2) return undefined;
  const base = parts[parts.length - 1]!;
  if (ROUTE_FILE.test(base) || parts.some((p) => p.startsWith("_") || p.startsWith("."))) return undefined;
  const stem = base.replace(SOURCE_FILE, "");
  const segments = [...parts.slice(0, -1), ...(stem === "index" ? [] : [stem])].map((segment) =>
    /^\[\[?\.\.\..+?\]\]?$/.test(segment) ? "*" : /^\[.+\]$/.test(segment) ? `:${segment.slice(1, -1)}` : segment,
  );
  return joinRoute(...segments);
}

/** A default export written as `{ fetch(request) { … } }` runs its `fetch`; any other export runs what its value runs. */
function functionEntries(resolver: Resolver, binding: ExportedBinding): HandlerEntry[] {
  const value = binding.value && !ts.isFunctionDeclaration(binding.value) ? skipOuterExpressions(binding.value) : undefined;
  if (binding.name !== "default" || !value || !ts.isObjectLiteralExpression(value)) return exportEntries(resolver, binding);
  return propertyEntries(resolver, memberNamed(value, "fetch"));
}
