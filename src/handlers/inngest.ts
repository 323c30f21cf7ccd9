// Inngest: one handler per function made by `inngest.createFunction(options, [trigger,] handler)` and served to Inngest.
import { ts } from "ts-morph";
import { safeAliased, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { objectOf, valueOf } from "./options.js";
import { routePath } from "./route-tree.js";

const MODULES = ["inngest"];

export const inngest: HandlerFinder = {
  framework: "inngest",
  title: "Inngest",
  modules: MODULES,
  describe:
    "`inngest.createFunction(options, handler)` (v4, triggers in `options.triggers`) and `inngest.createFunction(options, trigger, handler)` (v3) on a client made by `new Inngest(…)` (or typed `Inngest`), named `inngest <id>` (`options.id`, else `options.name`, a literal or const, else `*`) and located at the `createFunction(` call; `step.run` callbacks are on the handler's path. " +
    "When the analysed code serves functions (`serve({ client, functions })` from any `inngest/<framework>` adapter, `serve(client, functions)`, or `connect({ apps: [{ client, functions }] })`) and every served function can be traced (array literals, spreads, variables, imports, `Object.values(namespace)`), only served functions are handlers: a function nobody serves never runs. Otherwise every `createFunction` is one.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const made: ts.CallExpression[] = [];
    const served = new Set<ts.Node>();
    let traced = true;
    let serves = false;
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call)) continue;
        if (isCreateFunction(resolver, call)) {
          made.push(call);
          continue;
        }
        const lists = servedLists(resolver, call);
        if (!lists) continue;
        serves = true;
        for (const list of lists) {
          const functions = list && functionCalls(resolver, list, 0);
          if (!functions) traced = false;
          else for (const fn of functions) served.add(fn);
        }
      }
    }
    const out: HandlerCandidate[] = [];
    for (const call of made) {
      if (serves && traced && !served.has(call)) continue;
      const options = objectOf(resolver, call.arguments[0]);
      const id = [valueOf(options, "id"), valueOf(options, "name")].map((v) => (v ? routePath(resolver, v) : "*")).find((v) => v !== "*") ?? "*";
      const handler = call.arguments[call.arguments.length - 1]!;
      out.push({ name: `inngest ${id}`, framework: "inngest", node: call, entries: wrappedEntries(resolver, handler) });
    }
    return out;
  },
};

/** `client.createFunction(…)` on an Inngest client; a project object's method of the same name is not one. */
function isCreateFunction(resolver: Resolver, call: ts.CallExpression): boolean {
  const callee = skipOuterExpressions(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "createFunction" || call.arguments.length < 2) return false;
  return originMatches(resolver.origins(callee.expression), MODULES, { exports: ["Inngest"], types: ["Inngest"] });
}

/** The `functions` lists a `serve(…)` or `connect(…)` call hands to Inngest (undefined inside: a list not written there), or undefined for any other call. */
function servedLists(resolver: Resolver, call: ts.CallExpression): (ts.Expression | undefined)[] | undefined {
  // Only `serve`/`connect` or an import renamed from inngest can be one: the origins of every call of a project cost seconds.
  const callee = skipOuterExpressions(call.expression);
  const named = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  if (named !== "serve" && named !== "connect" && !(ts.isIdentifier(callee) && resolver.importOf(callee)?.module.startsWith("inngest"))) return undefined;
  const origins = resolver.origins(callee).filter((o) => o.form === "value" && !o.typed);
  if (origins.some((o) => o.module.startsWith("inngest/") && o.path === "serve")) {
    const [first, second] = call.arguments;
    const options = objectOf(resolver, first);
    return [options ? valueOf(options, "functions") : second];
  }
  if (origins.some((o) => o.module === "inngest/connect" && o.path === "connect")) {
    const apps = valueOf(objectOf(resolver, call.arguments[0]), "apps");
    const list = apps && skipOuterExpressions(apps);
    if (!list || !ts.isArrayLiteralExpression(list)) return [undefined];
    return list.elements.map((app) => valueOf(objectOf(resolver, app), "functions"));
  }
  return undefined;
}

/** The `createFunction` calls a list of served functions holds, or undefined when one of them cannot be traced. */
function functionCalls(resolver: Resolver, expression: ts.Expression, depth: number): ts.CallExpression[] | undefined {
  if (depth > 6) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isArrayLiteralExpression(expr)) {
    const found: ts.CallExpression[] = [];
    for (const element of expr.elements) {
      const calls = ts.isSpreadElement(element) ? functionCalls(resolver, element.expression, depth + 1) : functionCalls(resolver, element, depth + 1);
      if (!calls) return undefined;
      found.push(...calls);
    }
    return found;
  }
  if (ts.isCallExpression(expr)) {
    if (isCreateFunction(resolver, expr)) return [expr];
    // `Object.values(functions)` over a namespace import: every function the module exports.
    const callee = skipOuterExpressions(expr.expression);
    const [argument] = expr.arguments;
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "values" && ts.isIdentifier(callee.expression) && callee.expression.text === "Object" && argument) {
      const module = resolver.declarationsOf(skipOuterExpressions(argument)).find(ts.isSourceFile);
      return module ? exportedCalls(resolver, module) : functionCalls(resolver, argument, depth + 1);
    }
    return undefined;
  }
  if (ts.isObjectLiteralExpression(expr)) {
    const found: ts.CallExpression[] = [];
    for (const property of expr.properties) {
      const value = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : ts.isSpreadAssignment(property) ? property.expression : undefined;
      const calls = value && functionCalls(resolver, value, depth + 1);
      if (!calls) return undefined;
      found.push(...calls);
    }
    return found;
  }
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) {
    const declaration = resolver.declarationsOf(expr).find((d) => ts.isVariableDeclaration(d) || ts.isPropertyAssignment(d));
    const initializer = declaration && (declaration as ts.VariableDeclaration | ts.PropertyAssignment).initializer;
    return initializer && resolver.index.isAnalysed(declaration.getSourceFile().fileName) ? functionCalls(resolver, initializer, depth + 1) : undefined;
  }
  return undefined;
}

function exportedCalls(resolver: Resolver, module: ts.SourceFile): ts.CallExpression[] | undefined {
  const checker = resolver.checkerFor(module);
  const symbol = checker?.getSymbolAtLocation(module);
  if (!checker || !symbol || !resolver.index.isAnalysed(module.fileName)) return undefined;
  const found: ts.CallExpression[] = [];
  for (const exported of checker.getExportsOfModule(symbol)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? safeAliased(checker, exported) : exported;
    for (const declaration of target?.declarations ?? []) {
      const initializer = ts.isVariableDeclaration(declaration) && declaration.initializer && skipOuterExpressions(declaration.initializer);
      if (initializer && ts.isCallExpression(initializer) && isCreateFunction(resolver, initializer)) found.push(initializer);
    }
  }
  return found;
}
