// AWS Lambda: exported handler functions, recognised by an aws-lambda handler type, a middy chain, or the `handler` export of an entry file.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { entryOf, type ExportedBinding, exportedBindings, exportEntries, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder, returnedExpressions, wrappedEntries } from "./finder.js";
import { netlifyFunction } from "./netlify.js";
import { isAppAdapter, ProjectFiles, TEST_FILE, valueImports } from "./serverless.js";

const TYPES_MODULE = "aws-lambda";
const MIDDY_MODULES = ["@middy/core"];
/** The chainable methods of a middy handler. */
const MIDDY_STEPS = new Set(["use", "before", "after", "onError", "handler"]);
const MIDDY_HOOKS = ["before", "after", "onError"] as const;
type MiddyHook = (typeof MIDDY_HOOKS)[number];

export const lambda: HandlerFinder = {
  framework: "lambda",
  title: "AWS Lambda",
  // A Lambda entry often imports nothing Lambda-specific (`export const handler = async (event) => …`).
  modules: [],
  describe:
    "An export whose declared type is an aws-lambda handler type (`Handler`, `APIGatewayProxyHandler`, `SQSHandler`, any `…Handler` of `aws-lambda`: annotated, with `satisfies`, or returned by the project factory it calls, as in `export const main = handler(async (event) => …)`), an export holding a middy chain (`middy(base).use(mw()).before(fn)`, `middy().use(mw).handler(fn)`, also through a variable), and an export named `handler` holding a function (declaration, arrow, or wrapper call such as `middy(fn)`) in a file no other project file imports that export from (tests aside): a `handler` that other modules import is a library function, and a function merely named `handler` but not exported is not a Lambda. A middy chain runs, in middy's order, its middleware's project `before` functions (`use({ before })`, `use([a, b])`, a factory returning such an object, `.before(fn)`) in use order, the base handler, then `after` and `onError` functions in reverse use order. An export that hands a web framework's app to an adapter (`serverless(app)` from serverless-http, `handle(app)` from hono/aws-lambda) is not reported: the app's routes, found by the app's framework, are the handlers (`serverless((req, res) => …)` with a project function is reported, running it). Files of Netlify's functions folder are left to the Netlify finder. Named `lambda <export name>`.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const imported = valueImports(index, resolver);
    const files = new ProjectFiles(index);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const fileName = scan.sourceFile.fileName;
      if (TEST_FILE.test(index.code.relative(fileName)) || netlifyFunction(index, files, fileName) !== undefined) continue;
      for (const binding of exportedBindings(scan.sourceFile)) {
        // A re-export (`export { handler } from "./charge"`) is the other module's Lambda, found there.
        if (binding.name === "default" || !binding.value || binding.from !== undefined) continue;
        const middy = ts.isFunctionDeclaration(binding.value) ? undefined : middyEntries(resolver, binding.value);
        const typed = hasLambdaType(resolver, binding);
        const entry = binding.name === "handler" && isFunctionValue(resolver, binding.value) && !imported.get(fileName)?.has(binding.name) && !imported.get(fileName)?.has("*");
        if (!middy && !typed && !entry) continue;
        if (!middy && !ts.isFunctionDeclaration(binding.value) && isAppAdapter(resolver, binding.value)) continue;
        out.push({ name: `lambda ${binding.name}`, framework: "lambda", node: binding.nameNode, entries: middy ?? exportEntries(resolver, binding) });
      }
    }
    return out;
  },
};

/**
 * The export is declared as an aws-lambda handler: its annotation (`: SQSHandler`, `satisfies Handler`) or, for a
 * factory call (`export const main = handler(async (event) => …)`), the factory's declared return type.
 */
function hasLambdaType(resolver: Resolver, binding: ExportedBinding): boolean {
  const declaration = binding.nameNode.parent;
  const types: ts.TypeNode[] = [];
  if (ts.isVariableDeclaration(declaration) && declaration.type) types.push(declaration.type);
  let value = binding.value && !ts.isFunctionDeclaration(binding.value) ? binding.value : undefined;
  while (value && (ts.isSatisfiesExpression(value) || ts.isAsExpression(value) || ts.isParenthesizedExpression(value))) {
    if (!ts.isParenthesizedExpression(value)) types.push(value.type);
    value = value.expression;
  }
  if (value && ts.isCallExpression(value)) {
    for (const unit of resolver.functionTargets(value.expression)) if (unit.node.type) types.push(unit.node.type);
  }
  return types.some((type) => isHandlerType(resolver, type));
}

function isHandlerType(resolver: Resolver, type: ts.TypeNode): boolean {
  if (!ts.isTypeReferenceNode(type)) return false;
  const names: string[] = [];
  let left: ts.EntityName = type.typeName;
  while (ts.isQualifiedName(left)) {
    names.unshift(left.right.text);
    left = left.left;
  }
  const binding = resolver.importOf(left);
  const name = [binding?.path, ...names].filter(Boolean).pop();
  return binding?.module === TYPES_MODULE && name !== undefined && name.endsWith("Handler");
}

function isFunctionValue(resolver: Resolver, value: ts.FunctionDeclaration | ts.Expression): boolean {
  if (ts.isFunctionDeclaration(value)) return true;
  const expr = skipOuterExpressions(value);
  return ts.isArrowFunction(expr) || ts.isFunctionExpression(expr) || ts.isCallExpression(expr) || resolver.functionTargets(expr).length > 0;
}

/**
 * What a middy chain runs, in middy's order: `before` functions in use order, the base handler, then `after` and
 * `onError` functions in reverse use order; undefined when the value is no middy chain.
 */
function middyEntries(resolver: Resolver, value: ts.Expression): HandlerEntry[] | undefined {
  const steps: { method: string; argument: ts.Expression }[] = [];
  let expr = skipOuterExpressions(value);
  for (let followed = 0; ; ) {
    const callee = ts.isCallExpression(expr) ? skipOuterExpressions(expr.expression) : undefined;
    if (callee && ts.isPropertyAccessExpression(callee) && MIDDY_STEPS.has(callee.name.text)) {
      const argument = (expr as ts.CallExpression).arguments[0];
      if (argument) steps.unshift({ method: callee.name.text, argument });
      expr = skipOuterExpressions(callee.expression);
    } else if (ts.isIdentifier(expr) && followed++ < 4) {
      const declaration = resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
      if (!declaration || !resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return undefined;
      expr = skipOuterExpressions(declaration.initializer!);
    } else {
      break;
    }
  }
  if (!ts.isCallExpression(expr) || !originMatches(resolver.origins(expr.expression), MIDDY_MODULES, { exports: ["default"], forms: ["value"] })) return undefined;
  const hooks: Record<MiddyHook, HandlerEntry[]> = { before: [], after: [], onError: [] };
  // middy(plugin) with no handler: the first argument is a handler only when it is a function.
  let base = expr.arguments[0] ? wrappedEntries(resolver, expr.arguments[0]).filter((e) => e.units.length > 0) : [];
  for (const { method, argument } of steps) {
    if (method === "handler") base = wrappedEntries(resolver, argument).filter((e) => e.units.length > 0);
    else if (method === "use") for (const { hook, entry } of middlewareFunctions(resolver, argument, 0)) hooks[hook].push({ ...entry, boundAt: argument });
    else {
      const entry = entryOf(resolver, argument);
      if (entry.units.length > 0) hooks[method as MiddyHook].push(entry);
    }
  }
  return [...hooks.before, ...base, ...hooks.after.reverse(), ...hooks.onError.reverse()];
}

/** The hook functions of middy middleware: an object (`{ before, after }`), an array of them, a factory call returning one, or a variable holding one. */
function middlewareFunctions(resolver: Resolver, expression: ts.Expression, depth: number): { hook: MiddyHook; entry: HandlerEntry }[] {
  const expr = skipOuterExpressions(expression);
  if (depth > 4) return [];
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.flatMap((e) => middlewareFunctions(resolver, e, depth + 1));
  if (ts.isObjectLiteralExpression(expr)) {
    const found: { hook: MiddyHook; entry: HandlerEntry }[] = [];
    for (const property of expr.properties) {
      const hook = MIDDY_HOOKS.find((h) => property.name !== undefined && propertyNameText(property.name) === h);
      if (!hook) continue;
      const unit = ts.isMethodDeclaration(property) ? resolver.index.unitOf(property) : undefined;
      const entry = unit
        ? { units: [unit] }
        : ts.isPropertyAssignment(property)
          ? entryOf(resolver, property.initializer)
          : ts.isShorthandPropertyAssignment(property)
            ? entryOf(resolver, property.name)
            : undefined;
      if (entry && entry.units.length > 0) found.push({ hook, entry });
    }
    return found;
  }
  if (ts.isCallExpression(expr)) {
    return resolver.functionTargets(expr.expression).flatMap((factory) => returnedExpressions(factory.node).flatMap((r) => middlewareFunctions(resolver, r, depth + 1)));
  }
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
    return declaration && resolver.index.isAnalysed(declaration.getSourceFile().fileName) ? middlewareFunctions(resolver, declaration.initializer!, depth + 1) : [];
  }
  return [];
}

