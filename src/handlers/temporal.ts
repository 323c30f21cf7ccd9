// Temporal: one handler per activity a `Worker.create({ taskQueue, activities })` registers, and one per workflow function.
import path from "node:path";
import { ts } from "ts-morph";
import { safeAliased, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText, type FunctionUnit } from "../scan/units.js";
import { type FinderContext, type HandlerCandidate, type HandlerFinder, literalText, returnedExpressions } from "./finder.js";
import { memberEntry, objectOf, valueOf } from "./options.js";
import { routePath } from "./route-tree.js";

const WORKER_MODULES = ["@temporalio/worker"];
const WORKFLOW_MODULES = ["@temporalio/workflow"];
const PROXIES = ["proxyActivities", "proxyLocalActivities"];
const SOURCE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts"];

/** A function a module or an object gives Temporal, under the name Temporal knows it by. */
interface Named {
  name: string;
  /** Where it is declared (a workflow is reported there). */
  nameNode: ts.Node;
  units: FunctionUnit[];
}

export const temporal: HandlerFinder = {
  framework: "temporal",
  title: "Temporal",
  modules: [...WORKER_MODULES, ...WORKFLOW_MODULES],
  describe:
    "Activities: `Worker.create({ taskQueue, activities })` from `@temporalio/worker`, one handler per activity, named `temporal <taskQueue>/<activity>` and located at the `Worker.create(` call; `activities` may be an object literal (properties, methods, spreads), a namespace import (`import * as activities from './activities'`: the module's exported functions, re-exports included), a variable holding either, or a factory call (`createActivities(deps)`) whose returned object is read. " +
    "Workflows: the functions exported by the module `workflowsPath` names (`require.resolve('./workflows')`, `path.join(__dirname, 'workflows')`, `new URL('./workflows', import.meta.url)`), and the exported async functions of any module that calls `proxyActivities` or `proxyLocalActivities` (which covers a prebuilt `workflowBundle`), named `temporal workflow <name>` and located at the function's exported name. " +
    "A workflow's calls to proxied activities schedule them on a task queue, where they run as their own handlers: they are not followed from the workflow.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    const workflows = new Map<ts.Node, Named>();
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call) || !isWorkerCreate(resolver, call.expression)) continue;
        const options = objectOf(resolver, call.arguments[0]);
        if (!options) continue;
        const queue = routePath(resolver, valueOf(options, "taskQueue")) || "*";
        const activities = valueOf(options, "activities");
        for (const activity of activities ? objectFunctions(resolver, activities, 0) : []) {
          out.push({ name: `temporal ${queue}/${activity.name}`, framework: "temporal", node: call, entries: [{ units: activity.units }] });
        }
        const workflowsPath = valueOf(options, "workflowsPath");
        const file = workflowsPath && modulePath(resolver, workflowsPath);
        const module = file ? sourceFileAt(context, file) : undefined;
        for (const workflow of module ? moduleFunctions(resolver, module) : []) workflows.set(workflow.nameNode, workflow);
      }
    }
    // Modules that proxy activities are workflow code, whether or not a worker in the analysed code names them.
    const proxiedCalls = new Map<ts.Node, readonly FunctionUnit[]>();
    for (const scan of index.files) {
      let proxies = false;
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call)) continue;
        const callee = skipOuterExpressions(call.expression);
        if (originMatches(resolver.origins(callee), WORKFLOW_MODULES, { exports: PROXIES, forms: ["value"] })) proxies = true;
        else if (isProxied(resolver, callee)) proxiedCalls.set(call, []);
      }
      if (!proxies) continue;
      for (const workflow of moduleFunctions(resolver, scan.sourceFile)) {
        if (workflow.units.some((u) => isAsync(u.node)) && !workflows.has(workflow.nameNode)) workflows.set(workflow.nameNode, workflow);
      }
    }
    for (const workflow of workflows.values()) {
      out.push({ name: `temporal workflow ${workflow.name}`, framework: "temporal", node: workflow.nameNode, entries: [{ units: workflow.units }], ...(proxiedCalls.size > 0 ? { callTargets: proxiedCalls } : {}) });
    }
    return out;
  },
};

function isWorkerCreate(resolver: Resolver, callee: ts.Expression): boolean {
  return originMatches(resolver.origins(callee), WORKER_MODULES, { exports: ["Worker.create"], forms: ["value"] });
}

/** A call to an activity through what `proxyActivities()` returned (`const { charge } = proxyActivities(…)`, `acts.charge(…)`). */
function isProxied(resolver: Resolver, callee: ts.Expression): boolean {
  return originMatches(resolver.origins(callee), WORKFLOW_MODULES, { exports: PROXIES, forms: ["instance", "derived"] });
}

/** The functions an `activities` value holds, by property name. */
function objectFunctions(resolver: Resolver, expression: ts.Expression, depth: number): Named[] {
  if (depth > 5) return [];
  const expr = skipOuterExpressions(expression);
  if (ts.isObjectLiteralExpression(expr)) {
    return expr.properties.flatMap((property): Named[] => {
      if (ts.isSpreadAssignment(property)) return objectFunctions(resolver, property.expression, depth + 1);
      const entry = memberEntry(resolver, property);
      return property.name && entry && entry.units.length > 0 ? [{ name: propertyNameText(property.name), nameNode: property.name, units: entry.units }] : [];
    });
  }
  if (ts.isCallExpression(expr)) {
    return resolver.functionTargets(expr.expression).flatMap((factory) => returnedExpressions(factory.node).flatMap((value) => objectFunctions(resolver, value, depth + 1)));
  }
  if (ts.isNewExpression(expr)) {
    const cls = resolver.declarationsOf(expr.expression).find(ts.isClassLike);
    return cls ? classMethods(resolver, cls) : [];
  }
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) {
    return resolver.declarationsOf(expr).flatMap((declaration) => {
      if (ts.isSourceFile(declaration)) return resolver.index.isAnalysed(declaration.fileName) ? moduleFunctions(resolver, declaration) : [];
      if (!resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return [];
      if ((ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isPropertyAssignment(declaration)) && declaration.initializer) {
        return objectFunctions(resolver, declaration.initializer, depth + 1);
      }
      return [];
    });
  }
  return [];
}

/** The public methods of an activities class (its instance is the activities object). */
function classMethods(resolver: Resolver, cls: ts.ClassLikeDeclaration): Named[] {
  return cls.members.flatMap((member): Named[] => {
    if (!ts.isMethodDeclaration(member) && !ts.isPropertyDeclaration(member)) return [];
    const modifiers = ts.getModifiers(member) ?? [];
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.StaticKeyword)) return [];
    if (ts.isPrivateIdentifier(member.name)) return [];
    const unit = resolver.index.unitOf(member);
    return unit ? [{ name: propertyNameText(member.name), nameNode: member.name, units: [unit] }] : [];
  });
}

/** The functions a module exports (re-exports and `export *` included), by export name, in declaration order. */
function moduleFunctions(resolver: Resolver, sourceFile: ts.SourceFile): Named[] {
  const checker = resolver.checkerFor(sourceFile);
  const moduleSymbol = checker?.getSymbolAtLocation(sourceFile);
  if (!checker || !moduleSymbol) return [];
  const found: Named[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? safeAliased(checker, exported) : exported;
    for (const declaration of symbol?.declarations ?? []) {
      if (!resolver.index.isAnalysed(declaration.getSourceFile().fileName)) continue;
      const unit = resolver.index.unitOf(declaration);
      const nameNode = (declaration as ts.NamedDeclaration).name;
      if (unit && nameNode) found.push({ name: exported.getName(), nameNode, units: [unit] });
    }
  }
  return found.sort((a, b) => (a.nameNode.getSourceFile().fileName < b.nameNode.getSourceFile().fileName ? -1 : a.nameNode.getSourceFile().fileName > b.nameNode.getSourceFile().fileName ? 1 : a.nameNode.pos - b.nameNode.pos));
}

function isAsync(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

/** The file a `workflowsPath` names, relative to the worker's own file; undefined when it is not written that way. */
function modulePath(resolver: Resolver, expression: ts.Expression): string | undefined {
  const expr = skipOuterExpressions(expression);
  const dir = path.dirname(expr.getSourceFile().fileName);
  if (ts.isPropertyAccessExpression(expr) && expr.name.text === "pathname") return modulePath(resolver, expr.expression);
  if (ts.isNewExpression(expr) && ts.isIdentifier(expr.expression) && expr.expression.text === "URL") {
    const [relative, base] = expr.arguments ?? [];
    const text = literalText(relative);
    return text !== undefined && base && ts.isPropertyAccessExpression(base) && ts.isMetaProperty(base.expression) ? path.resolve(dir, text) : undefined;
  }
  if (!ts.isCallExpression(expr)) return undefined;
  const callee = skipOuterExpressions(expr.expression);
  const [first, ...rest] = expr.arguments;
  if (!first) return undefined;
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === "resolve" && ts.isIdentifier(callee.expression) && callee.expression.text === "require") {
    const text = literalText(first);
    return text !== undefined && text.startsWith(".") ? path.resolve(dir, text) : undefined;
  }
  if (ts.isIdentifier(callee) && callee.text === "fileURLToPath") return modulePath(resolver, first);
  if (!originMatches(resolver.origins(callee), ["path", "node:path"], { exports: ["join", "resolve", "default.join", "default.resolve"], forms: ["value"] })) return undefined;
  const base = skipOuterExpressions(first);
  const parts = rest.map((a) => literalText(a));
  if (!ts.isIdentifier(base) || base.text !== "__dirname" || parts.some((p) => p === undefined)) return undefined;
  return path.resolve(dir, ...(parts as string[]));
}

/** The analysed source file behind a module path (`./workflows`, `./workflows.js`, `./workflows/index`). */
function sourceFileAt(context: FinderContext, file: string): ts.SourceFile | undefined {
  const base = file.replace(/\.[cm]?[jt]sx?$/, "");
  const candidates = [file, ...SOURCE_EXTENSIONS.map((ext) => base + ext), ...SOURCE_EXTENSIONS.map((ext) => path.join(base, "index" + ext))];
  for (const candidate of candidates) {
    const scan = context.index.scanOf(candidate);
    if (scan) return scan.sourceFile;
  }
  return undefined;
}
