// Netlify Functions: the files of the functions folder, by their default export (with its `config` path) or a legacy `handler` export.
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import { type ExportedBinding, exportedBindings, exportEntries, type FinderContext, type HandlerCandidate, type HandlerFinder, literalText } from "./finder.js";
import { isAppAdapter, memberNamed, ProjectFiles, projectRoot, propertyEntries, TEST_FILE, tomlString } from "./serverless.js";

const DEFAULT_DIRECTORY = "netlify/functions";
const SOURCE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;

export const netlify: HandlerFinder = {
  framework: "netlify",
  title: "Netlify Functions",
  // A function file need not import anything from Netlify: the functions folder is the signal.
  modules: [],
  describe:
    "Files of the functions folder (`netlify/functions/`, or netlify.toml's `[functions] directory` / `[build] functions`, relative to the netlify.toml): `<name>.ts`, `<name>/index.ts` or `<name>/<name>.ts`; other files in subfolders are helpers. The default export (`export default async (req: Request, context: Context) => …`, or the object form `export default { fetch, config }`) is named `netlify <name>`, or `METHOD <path>` for each `path` and `method` of `export const config = { path: \"/x\", method: [\"POST\"] }` (`ALL` when no method is given; a `schedule` config keeps `netlify <name>`); a legacy `export const handler` (a `Handler`, or a `schedule(cron, fn)` wrapper) is named `netlify <name>`, and the Lambda finder leaves these files to this one. A default export or `handler` that hands a web framework's app to an adapter (`handle(app)` from hono/netlify, `serverless(app)`) is not reported: the app's routes are the handlers.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const files = new ProjectFiles(index);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const sourceFile = scan.sourceFile;
      const name = netlifyFunction(index, files, sourceFile.fileName);
      if (name === undefined) continue;
      const bindings = exportedBindings(sourceFile);
      const config = bindings.find((b) => b.name === "config" && b.from === undefined);
      for (const binding of bindings) {
        if ((binding.name !== "default" && binding.name !== "handler") || binding.from !== undefined || !binding.value) continue;
        if (!ts.isFunctionDeclaration(binding.value) && isAppAdapter(resolver, binding.value)) continue;
        // `export default { fetch, config }`: the object form of a function, its config beside its fetch.
        const object = binding.name === "default" && !ts.isFunctionDeclaration(binding.value) ? skipOuterExpressions(binding.value) : undefined;
        const form = object && ts.isObjectLiteralExpression(object) ? object : undefined;
        const entries = form ? propertyEntries(resolver, memberNamed(form, "fetch")) : exportEntries(resolver, binding);
        const routes = binding.name === "default" ? configRoutes(form ? member(form, "config") : configValue(config)) : [];
        for (const route of routes.length > 0 ? routes : [`netlify ${name}`]) out.push({ name: route, framework: "netlify", node: binding.nameNode, entries });
      }
    }
    return out;
  },
};

/** The function a file is, by its name, when it is one of the functions folder's entry files. */
export function netlifyFunction(index: CodeIndex, files: ProjectFiles, fileName: string): string | undefined {
  const relative = index.code.relative(fileName);
  if (!SOURCE_FILE.test(fileName) || fileName.endsWith(".d.ts") || TEST_FILE.test(relative)) return undefined;
  const toml = files.nearest(fileName, ["netlify.toml"]);
  const text = toml ? files.text(toml) : undefined;
  const configured = text ? (tomlString(text, "functions", "directory") ?? tomlString(text, "build", "functions")) : undefined;
  const base = toml ? path.dirname(toml) : projectRoot(index, fileName);
  const directory = path.resolve(base, configured ?? DEFAULT_DIRECTORY);
  const inside = path.relative(directory, path.resolve(fileName)).split(path.sep);
  if (inside[0] === "..") return undefined;
  const stem = inside[inside.length - 1]!.replace(SOURCE_FILE, "");
  if (inside.length === 1) return stem;
  if (inside.length === 2 && (stem === "index" || stem === inside[0])) return inside[0];
  return undefined;
}

function configValue(config: ExportedBinding | undefined): ts.Expression | undefined {
  return config?.value && !ts.isFunctionDeclaration(config.value) ? config.value : undefined;
}

function member(object: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  const found = memberNamed(object, key);
  return found && ts.isPropertyAssignment(found) ? found.initializer : undefined;
}

/** `METHOD /path` for each path and method of a function's config (`{ path, method }`). */
function configRoutes(config: ts.Expression | undefined): string[] {
  const value = config && skipOuterExpressions(config);
  if (!value || !ts.isObjectLiteralExpression(value)) return [];
  const paths = listOf(member(value, "path")).map((p) => literalText(p) ?? "*");
  const methods = listOf(member(value, "method")).map((m) => (literalText(m) ?? "*").toUpperCase());
  return paths.flatMap((p) => (methods.length > 0 ? methods : ["ALL"]).map((m) => `${m} ${p}`));
}

function listOf(expression: ts.Expression | undefined): ts.Expression[] {
  if (!expression) return [];
  const expr = skipOuterExpressions(expression);
  return ts.isArrayLiteralExpression(expr) ? [...expr.elements] : [expr];
}
