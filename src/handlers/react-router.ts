// React Router v7 (framework mode) and Remix route modules: `loader` and `action` exports, at the URL the app's route config or file-system convention gives the module.
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import { exportedBindings, exportEntries, type FinderContext, type HandlerCandidate, type HandlerFinder, joinRoute, literalText } from "./finder.js";
import { ConfigFiles, exportedConfig, importsOf, localInitializer, stringProperty, withExtensions } from "./fs-routes.js";

/** `loader` answers reads; `action` answers every mutating method (POST, PUT, PATCH, DELETE), named POST as forms send it. */
const HANDLER_EXPORTS = new Map([
  ["loader", "GET"],
  ["action", "POST"],
]);
const SCRIPT_EXTENSIONS = ["ts", "tsx", "js", "jsx", "mts", "mjs"];
const ROUTE_MODULE = /\.(ts|tsx|js|jsx|md|mdx)$/;
const REACT_ROUTER_CONFIG = withExtensions("react-router.config", SCRIPT_EXTENSIONS);
const REMIX_CONFIG = withExtensions("remix.config", [...SCRIPT_EXTENSIONS, "cjs"]);
const VITE_CONFIG = withExtensions("vite.config", [...SCRIPT_EXTENSIONS, "cts", "cjs"]);
const ROUTE_HELPERS = "@react-router/dev/routes";
const FS_ROUTES = "@react-router/fs-routes";
const REMIX_FLAT_ROUTES = "remix-flat-routes";

/**
 * Where route modules sit and at which URL: one module named in the route config, or a folder whose files are
 * named by a flat-routes convention (`official`: React Router's and Remix v2's; `hybrid`: remix-flat-routes', which
 * also reads `+` folders and nested route files).
 */
type RouteSource = { kind: "module"; file: string; path: string } | { kind: "flat"; convention: "official" | "hybrid"; dir: string; base: string };

export const reactRouter: HandlerFinder = {
  framework: "react-router",
  title: "React Router v7 / Remix",
  modules: ["react-router", "@react-router", "@remix-run"],
  describe:
    "Route modules' exported `loader` (named `GET /path`) and `action` (named `POST /path`: one action answers every mutating method, POST, PUT, PATCH and DELETE alike); the default component export and `clientLoader`/`clientAction` are not handlers. An app is found through its config: `react-router.config.*`, `remix.config.*`, or a `vite.config.*` running the `reactRouter()` or Remix `vitePlugin()` plugin (framework mode always has one, so a single-page app using React Router as a library has no handlers here); the app directory is the config's `appDirectory` string literal, else `app`. `<app>/root.*` is the root route (`/`). Routes come from `<app>/routes.ts` when it is plain data: `route(path, file, children?)` (children's paths join it), `index(file)` and `layout(file, children)` (named with their parent's path: a pathless layout's loader runs for the pages below it), `prefix(path, routes)`, constants holding these, `flatRoutes({ rootDirectory })` of `@react-router/fs-routes`, and remix-flat-routes' `flatRoutes(dir, defineRoutes, { appDir, basePath })` wherever routes.ts calls it; without a routes.ts, or when it names none of these, the flat-routes convention in `<app>/routes/`. Flat routes: `.` separates segments, `$id` → `:id`, a trailing `$` → `*`, `_index` takes its parent's path, a segment with a leading `_` (`_auth.login` → `/login`) is a pathless layout, a trailing `_` is dropped (`users_.new` → `/users/new`), `[…]` escapes literal text (`sitemap[.]xml`), `($lang)` → `:lang?`; a folder is a route through its `route.*` file (else `index.*`), its other files are colocated modules. remix-flat-routes also reads `+` folders as `.` (`_auth+/login.tsx`), with `_layout.*` as the folder's own route.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const apps = new RouteApps(index);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const bindings = exportedBindings(scan.sourceFile).filter((b) => HANDLER_EXPORTS.has(b.name));
      if (bindings.length === 0) continue;
      for (const route of apps.routesOf(scan.sourceFile.fileName)) {
        for (const binding of bindings) {
          out.push({ name: `${HANDLER_EXPORTS.get(binding.name)} ${route}`, framework: "react-router", node: binding.nameNode, entries: exportEntries(resolver, binding) });
        }
      }
    }
    return out;
  },
};

/** The apps of the analysed code, each with its app directory and route sources, found once per folder. */
class RouteApps {
  private readonly configs: ConfigFiles;
  private readonly sourcesByApp = new Map<string, RouteSource[]>();
  private readonly plugins = new Map<string, ts.CallExpression | undefined>();

  constructor(index: CodeIndex) {
    this.configs = new ConfigFiles(index);
  }

  /** The URL paths a file is a route module for (a module the config names twice has two). */
  routesOf(fileName: string): string[] {
    const app = this.appDirectoryOf(fileName);
    if (!app) return [];
    const routes: string[] = [];
    for (const source of this.sourcesOf(app)) {
      if (source.kind === "module") {
        if (source.file === fileName) routes.push(source.path);
        continue;
      }
      const relative = path.posix.relative(source.dir, fileName);
      if (relative.startsWith("../") || path.posix.isAbsolute(relative)) continue;
      const route = source.convention === "official" ? officialFlatRoute(relative, source.dir, this.configs) : hybridFlatRoute(relative);
      if (route !== undefined) routes.push(joinRoute(source.base, route));
    }
    return routes;
  }

  private appDirectoryOf(fileName: string): string | undefined {
    const dir = path.posix.dirname(fileName);
    const config = this.configs.nearest(dir, [...REACT_ROUTER_CONFIG, ...REMIX_CONFIG]) ?? this.viteConfig(dir);
    return config && path.posix.join(path.posix.dirname(config), this.appDirectoryIn(config) ?? "app");
  }

  /** The nearest `vite.config.*` that runs the Remix or React Router plugin. */
  private viteConfig(dir: string): string | undefined {
    const config = this.configs.nearest(dir, VITE_CONFIG);
    return config && this.vitePlugin(config) ? config : undefined;
  }

  private vitePlugin(config: string): ts.CallExpression | undefined {
    if (this.plugins.has(config)) return this.plugins.get(config);
    const sourceFile = this.configs.sourceOf(config);
    const imports = sourceFile ? importsOf(sourceFile) : new Map<string, { module: string; path: string }>();
    let plugin: ts.CallExpression | undefined;
    const visit = (node: ts.Node): void => {
      if (plugin) return;
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
        const binding = imports.get(node.expression.text);
        if ((binding?.module === "@remix-run/dev" && binding.path === "vitePlugin") || (binding?.module === "@react-router/dev/vite" && binding.path === "reactRouter")) plugin = node;
      }
      ts.forEachChild(node, visit);
    };
    if (sourceFile) visit(sourceFile);
    this.plugins.set(config, plugin);
    return plugin;
  }

  private appDirectoryIn(config: string): string | undefined {
    const name = path.posix.basename(config);
    if (name.startsWith("vite.config.")) {
      const options = this.vitePlugin(config)?.arguments[0];
      const expr = options && skipOuterExpressions(options);
      return expr && ts.isObjectLiteralExpression(expr) ? stringProperty(expr, "appDirectory") : undefined;
    }
    const sourceFile = this.configs.sourceOf(config);
    return sourceFile && stringProperty(exportedConfig(sourceFile), "appDirectory");
  }

  private sourcesOf(app: string): RouteSource[] {
    let sources = this.sourcesByApp.get(app);
    if (!sources) {
      const routesFile = this.configs.inFolder(app, withExtensions("routes", SCRIPT_EXTENSIONS));
      const sourceFile = routesFile ? this.configs.sourceOf(routesFile) : undefined;
      sources = sourceFile ? routeConfigSources(sourceFile, app) : [];
      if (sources.length === 0) sources = [{ kind: "flat", convention: "official", dir: `${app}/routes`, base: "/" }];
      // The root route wraps every page, whatever the config says: its loader runs on each request.
      const root = this.configs.inFolder(app, withExtensions("root", ["tsx", "ts", "jsx", "js"]));
      if (root) sources.push({ kind: "module", file: root, path: "/" });
      this.sourcesByApp.set(app, sources);
    }
    return sources;
  }
}

/**
 * The route sources an `app/routes.ts` declares. Helper calls are recognised by what they are imported from; any
 * other expression (a wrapper such as `remixRoutesOptionAdapter(…)`, a function body) is searched for them.
 */
function routeConfigSources(sourceFile: ts.SourceFile, app: string): RouteSource[] {
  const imports = importsOf(sourceFile);
  const sources: RouteSource[] = [];
  const helper = (call: ts.CallExpression): { module: string; path: string } | undefined => (ts.isIdentifier(call.expression) ? imports.get(call.expression.text) : undefined);
  const moduleFile = (expression: ts.Expression | undefined): string | undefined => {
    const file = literalText(expression);
    return file === undefined ? undefined : path.posix.join(app, file);
  };
  const children = (args: readonly ts.Expression[], from: number): ts.Expression | undefined => args.slice(from).find((a) => ts.isArrayLiteralExpression(skipOuterExpressions(a)));

  const followed = new Set<ts.Node>();
  const visit = (node: ts.Node, base: string): void => {
    if (ts.isIdentifier(node)) {
      // `export default routes`, `...apiRoutes`, `prefix("api", apiRoutes)` where `const apiRoutes = […]` is declared in the file.
      const initializer = isValuePosition(node) ? localInitializer(sourceFile, node.text) : undefined;
      if (initializer && !followed.has(initializer)) {
        followed.add(initializer);
        visit(initializer, base);
      }
      return;
    }
    if (ts.isCallExpression(node)) {
      const binding = helper(node);
      const args = node.arguments;
      if (binding?.module === ROUTE_HELPERS) {
        if (binding.path === "route") {
          const routePath = joinRoute(base, isAbsent(args[0]) ? undefined : (literalText(args[0]) ?? "*"));
          const file = moduleFile(args[1]);
          if (file) sources.push({ kind: "module", file, path: routePath });
          const nested = children(args, 2);
          if (nested) visit(nested, routePath);
          return;
        }
        if (binding.path === "index" || binding.path === "layout") {
          const file = moduleFile(args[0]);
          if (file) sources.push({ kind: "module", file, path: base });
          const nested = binding.path === "layout" ? children(args, 1) : undefined;
          if (nested) visit(nested, base);
          return;
        }
        if (binding.path === "prefix") {
          if (args[1]) visit(args[1], joinRoute(base, literalText(args[0]) ?? "*"));
          return;
        }
      }
      if (binding?.module === FS_ROUTES && binding.path === "flatRoutes") {
        const options = args[0] && skipOuterExpressions(args[0]);
        const rootDirectory = options && ts.isObjectLiteralExpression(options) ? stringProperty(options, "rootDirectory") : undefined;
        sources.push({ kind: "flat", convention: "official", dir: path.posix.join(app, rootDirectory ?? "routes"), base });
        return;
      }
      if (binding?.module === REMIX_FLAT_ROUTES && (binding.path === "flatRoutes" || binding.path === "default")) {
        const options = args[2] && skipOuterExpressions(args[2]);
        const object = options && ts.isObjectLiteralExpression(options) ? options : undefined;
        // Its `appDir` is relative to the project (the app directory's parent), as is React Router's `appDirectory`.
        const appDir = stringProperty(object, "appDir");
        const root = appDir === undefined ? app : path.posix.join(path.posix.dirname(app), appDir);
        const dirs = args[0] ? routeDirs(args[0]) : ["routes"];
        for (const dir of dirs) sources.push({ kind: "flat", convention: "hybrid", dir: path.posix.join(root, dir), base: joinRoute(base, stringProperty(object, "basePath")) });
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, base));
  };
  for (const statement of sourceFile.statements) if (ts.isExportAssignment(statement)) visit(statement.expression, "/");
  return sources;
}

/** An identifier read as a value: an element, spread, argument or export of route config, not a name being declared or a callee. */
function isValuePosition(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isCallExpression(parent)) return parent.expression !== node;
  return ts.isArrayLiteralExpression(parent) || ts.isSpreadElement(parent) || ts.isExportAssignment(parent) || ts.isSatisfiesExpression(parent) || ts.isAsExpression(parent) || ts.isParenthesizedExpression(parent) || ts.isAwaitExpression(parent);
}

/** `route(null, file)` / `route(undefined, file)`: a route without a path segment of its own. */
function isAbsent(expression: ts.Expression | undefined): boolean {
  const expr = expression && skipOuterExpressions(expression);
  return expr === undefined || expr.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(expr) && expr.text === "undefined");
}

/** remix-flat-routes' first argument: a folder name or an array of them. */
function routeDirs(expression: ts.Expression): string[] {
  const expr = skipOuterExpressions(expression);
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.map((e) => literalText(e)).filter((d): d is string => d !== undefined);
  const dir = literalText(expr);
  return dir === undefined ? [] : [dir];
}

/**
 * React Router's (and Remix v2's) flat routes, for a file at `relative` inside the routes folder: each file directly
 * in the folder is a route module, and each folder is one through its `route.*` file (its `index.*` when it has no
 * `route.*`); deeper files and dot files are not routes.
 */
function officialFlatRoute(relative: string, dir: string, configs: ConfigFiles): string | undefined {
  const parts = relative.split("/");
  if (parts.some((p) => p.startsWith("."))) return undefined;
  const stem = (name: string): string => name.slice(0, name.length - path.posix.extname(name).length);
  let routeId: string;
  if (parts.length === 1) routeId = stem(parts[0]!);
  else if (parts.length === 2 && ROUTE_MODULE.test(parts[1]!)) {
    const name = stem(parts[1]!);
    const hasRoute = name === "index" && configs.inFolder(`${dir}/${parts[0]}`, withExtensions("route", ["js", "jsx", "ts", "tsx", "md", "mdx"])) !== undefined;
    if (name !== "route" && (name !== "index" || hasRoute)) return undefined;
    routeId = parts[0]!;
  } else return undefined;
  return "/" + flatRoutePath(routeId);
}

/** React Router's `getRouteSegments` + `createRoutePath` for a route id such as `admin.users_.$id` or `($lang)._index`. */
function flatRoutePath(routeId: string): string {
  const segments: { text: string; raw: string }[] = [];
  let text = "";
  let raw = "";
  let state: "normal" | "escape" | "optional" | "optional-escape" = "normal";
  const push = (): void => {
    if (text) segments.push({ text, raw });
    text = "";
    raw = "";
  };
  for (let at = 0; at < routeId.length; at++) {
    const char = routeId[at]!;
    const last = at === routeId.length - 1;
    if (state === "normal" && (char === "/" || char === ".")) {
      push();
      continue;
    }
    raw += char;
    if (state === "escape" || state === "optional-escape") {
      if (char === "]") state = state === "escape" ? "normal" : "optional";
      else text += char;
    } else if (char === "[") state = state === "normal" ? "escape" : "optional-escape";
    else if (state === "normal" && char === "(") state = "optional";
    else if (state === "optional" && char === ")") {
      text += "?";
      state = "normal";
    } else if (!text && char === "$") text += last ? "*" : ":";
    else text += char;
  }
  push();
  const kept = routeId.endsWith("_index") ? segments.slice(0, -1) : segments;
  return kept
    .filter((s) => !(s.text.startsWith("_") && s.raw.startsWith("_")))
    .map((s) => (s.text.endsWith("_") && s.raw.endsWith("_") ? s.text.slice(0, -1) : s.text))
    .join("/");
}

/**
 * remix-flat-routes' hybrid convention (v0.8, default options) for a file at `relative` inside a routes folder:
 * `+` folders read as `.` (`_auth+/login.tsx` is `_auth.login`), other folders hold one route file
 * (`route`, `index`, `layout`, `page`, `_anything`, `*.route`), `_layout` files are their folder's route.
 */
function hybridFlatRoute(relative: string): string | undefined {
  if (relative.split("/").some((p) => p.startsWith("."))) return undefined;
  const nested = relative.includes("/");
  if (nested ? !/((\+\/[^/\\:?*]+)|\/((index|route|layout|page)|(_[^/\\:?*]+)|([^/\\:?*]+\.route)))\.(ts|tsx|js|jsx|md|mdx)$/.test(relative) || /\.server\.(ts|tsx|js|jsx|md|mdx)$/.test(relative) : !ROUTE_MODULE.test(relative)) {
    return undefined;
  }
  let name = relative.replace(/\.[a-z0-9]+$/i, "");
  const index = /((^|[.]|[+]\/)(index|_index))(\/[^/]+)?$|(\/_?index\/)/.test(name);
  name = name.replace(/\+\/_\./g, "_+/");
  const hasPlus = /\+\//.test(name);
  name = name.replace(/\+\//g, ".");
  if (((hasPlus && name.includes("/")) || !hasPlus) && !name.endsWith(".route") && name.includes("/")) name = name.slice(0, name.lastIndexOf("/"));
  let segments: string[] = [];
  let segment = "";
  let escaped = false;
  for (const char of name) {
    if ((char === "/" || char === ".") && !escaped) {
      if (segment) segments.push(segment);
      segment = "";
      continue;
    }
    if (char === "[") escaped = true;
    else if (char === "]") escaped = false;
    segment += char;
  }
  if (segment) segments.push(segment);
  if (segments.at(-1) === "route") segments = segments.slice(0, -1);
  if (!index && hasPlus && segments.at(-1)?.startsWith("_")) segments = segments.slice(0, -1);
  if (index && segments.length > 0) segments[segments.length - 1] = "";
  const parts: string[] = [];
  for (let s of segments) {
    if (s.startsWith("_")) continue;
    if (s.endsWith("_")) s = s.slice(0, -1);
    if (s.includes("[") && s.includes("]")) s = unbracket(s);
    if (s.startsWith("$")) parts.push(s === "$" ? "*" : ":" + s.slice(1));
    else if (s.startsWith("($")) parts.push(":" + s.slice(2, -1) + "?");
    else if (s.startsWith("(")) parts.push(s.slice(1, -1) + "?");
    else parts.push(s);
  }
  return joinRoute(...parts);
}

/** Drop the outermost `[`/`]` of escaped text (`[sitemap.xml]` → `sitemap.xml`). */
function unbracket(segment: string): string {
  let out = "";
  let depth = 0;
  for (const char of segment) {
    if (char === "[" && depth === 0) depth++;
    else if (char === "]" && depth > 0) depth--;
    else out += char;
  }
  return out;
}
