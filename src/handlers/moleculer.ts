// Moleculer: the actions and event handlers of service schemas (created on a broker, exported from `*.service` files, typed ServiceSchema, or parsed by a Service subclass), with their hooks.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText, type FunctionUnit } from "../scan/units.js";
import { entryOf, literalText, methodCalls, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";

const MODULES = ["moleculer"];
/** What `moleculer-runner` and `broker.loadServices()` load when no file mask is given. */
const DEFAULT_SERVICE_FILE = /\.service\.[cm]?[jt]s$/;

export const moleculer: HandlerFinder = {
  framework: "moleculer",
  title: "Moleculer",
  modules: MODULES,
  describe:
    "Service schemas: objects passed to `broker.createService(schema)`, default-exported (`export default`, `module.exports =`) from files that `broker.loadServices` loads " +
    "(`*.service.ts`/`.js` by default, or the file mask given), declared or `satisfies` `ServiceSchema`, or given to `this.parseServiceSchema({…})` in a subclass of `Service`; a schema needs a `name`. " +
    "Each action is a handler named `moleculer <service>.<action>` (`v2.users.list` with `version: 2`, a string version as written, honouring `$noVersionPrefix` and `$noServiceNamePrefix`), " +
    "each event handler `moleculer event <event>`, located at the property's name. Service hooks (`hooks.before['*']`, then keys matching the action, string hooks naming `methods`) and the action's own `hooks` run around the action in Moleculer's order (before, action, after, error).",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const isBroker = (e: ts.Expression): boolean => originMatches(resolver.origins(e), MODULES, { exports: ["ServiceBroker", "default.ServiceBroker"], types: ["ServiceBroker"] });
    const isServiceClass = (cls: ts.ClassLikeDeclaration): boolean =>
      (cls.heritageClauses ?? []).some((c) => c.token === ts.SyntaxKind.ExtendsKeyword && c.types.some((t) => originMatches(resolver.origins(t.expression), MODULES, { exports: ["Service", "default.Service"], types: ["Service"], forms: ["value"] })));

    const schemas = new Map<string, ts.ObjectLiteralExpression>();
    const add = (object: ts.ObjectLiteralExpression | undefined): void => {
      if (object && !schemas.has(nodeKey(object))) schemas.set(nodeKey(object), object);
    };
    const serviceFiles = [DEFAULT_SERVICE_FILE];
    for (const { call, callee, method } of methodCalls(index, new Set(["createService", "loadServices", "parseServiceSchema"]))) {
      if (method === "parseServiceSchema") {
        const cls = ts.findAncestor(call, ts.isClassLike);
        if (callee.expression.kind === ts.SyntaxKind.ThisKeyword && cls && isServiceClass(cls)) add(objectOf(resolver, call.arguments[0], 0));
      } else if (isBroker(callee.expression) && method === "createService" && call.arguments[0]) {
        add(objectOf(resolver, call.arguments[0], 0));
      } else if (isBroker(callee.expression) && method === "loadServices") {
        const mask = literalText(call.arguments[1]);
        if (mask !== undefined) serviceFiles.push(fileMask(mask));
      }
    }
    for (const scan of index.files) {
      const fileName = scan.sourceFile.fileName;
      if (serviceFiles.some((mask) => mask.test(fileName.slice(fileName.lastIndexOf("/") + 1)))) {
        const exported = scan.exports.get("default") ?? commonJsExport(scan.sourceFile);
        const object = exported && (ts.isExpression(exported) || ts.isVariableDeclaration(exported)) ? objectOf(resolver, ts.isVariableDeclaration(exported) ? exported.initializer : exported, 0) : undefined;
        if (object && propertyOf(object, "name")) add(object);
      }
      for (const object of typedSchemas(resolver, scan.sourceFile)) add(object);
    }

    const out: HandlerCandidate[] = [];
    for (const schema of schemas.values()) out.push(...schemaHandlers(resolver, schema));
    return out;
  },
};

/** A schema object written directly or through names bound to it in analysed files (a variable, an `export default`). */
function objectOf(resolver: Resolver, expression: ts.Expression | undefined, depth: number): ts.ObjectLiteralExpression | undefined {
  const expr = expression && skipOuterExpressions(expression);
  if (!expr || depth > 5) return undefined;
  if (ts.isObjectLiteralExpression(expr)) return expr;
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return undefined;
  for (const declaration of resolver.declarationsOf(expr)) {
    if (!resolver.index.isAnalysed(declaration.getSourceFile().fileName)) continue;
    if (ts.isVariableDeclaration(declaration) && declaration.initializer) return objectOf(resolver, declaration.initializer, depth + 1);
    if (ts.isExportAssignment(declaration)) return objectOf(resolver, declaration.expression, depth + 1);
  }
  return undefined;
}

/** `module.exports = { … }`. */
function commonJsExport(sourceFile: ts.SourceFile): ts.Expression | undefined {
  for (const statement of sourceFile.statements) {
    if (!ts.isExpressionStatement(statement) || !ts.isBinaryExpression(statement.expression) || statement.expression.operatorToken.kind !== ts.SyntaxKind.EqualsToken) continue;
    const left = statement.expression.left;
    if (ts.isPropertyAccessExpression(left) && ts.isIdentifier(left.expression) && left.expression.text === "module" && left.name.text === "exports") return statement.expression.right;
  }
  return undefined;
}

/** Objects with a `name` declared as (`const s: ServiceSchema = {…}`) or checked against (`{…} satisfies ServiceSchema`) Moleculer's ServiceSchema. */
function typedSchemas(resolver: Resolver, sourceFile: ts.SourceFile): ts.ObjectLiteralExpression[] {
  const found: ts.ObjectLiteralExpression[] = [];
  const isSchemaType = (type: ts.TypeNode | undefined): boolean => {
    if (!type || !ts.isTypeReferenceNode(type)) return false;
    const name = ts.isIdentifier(type.typeName) ? type.typeName : type.typeName.right;
    const root = ts.isIdentifier(type.typeName) ? type.typeName : type.typeName.left;
    const binding = ts.isIdentifier(root) ? resolver.importOf(root) : undefined;
    return name.text === "ServiceSchema" && binding?.module === "moleculer";
  };
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.initializer && isSchemaType(node.type)) {
      const object = skipOuterExpressions(node.initializer);
      if (ts.isObjectLiteralExpression(object) && propertyOf(object, "name")) found.push(object);
    } else if (ts.isSatisfiesExpression(node) && isSchemaType(node.type)) {
      const object = skipOuterExpressions(node.expression);
      if (ts.isObjectLiteralExpression(object) && propertyOf(object, "name")) found.push(object);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/** One handler per action and event of a schema. */
function schemaHandlers(resolver: Resolver, schema: ts.ObjectLiteralExpression): HandlerCandidate[] {
  const name = constant(resolver, propertyOf(schema, "name")) ?? "*";
  const settings = objectOf(resolver, propertyOf(schema, "settings"), 0);
  const flag = (key: string): boolean => settings !== undefined && propertyOf(settings, key)?.kind === ts.SyntaxKind.TrueKeyword;
  const version = flag("$noVersionPrefix") ? undefined : propertyOf(schema, "version");
  const versionText = version && skipOuterExpressions(version);
  const prefix = !versionText ? "" : ts.isNumericLiteral(versionText) ? `v${versionText.text}.` : `${constant(resolver, versionText) ?? "*"}.`;
  const fullName = `${prefix}${name}`;
  const methods = objectOf(resolver, propertyOf(schema, "methods"), 0);
  const hooks = objectOf(resolver, propertyOf(schema, "hooks"), 0);
  const out: HandlerCandidate[] = [];

  for (const property of members(resolver, propertyOf(schema, "actions"))) {
    const definition = definitionOf(resolver, property);
    if (!definition || !property.name) continue;
    const rawName = (definition.object && constant(resolver, propertyOf(definition.object, "name"))) ?? propertyNameText(property.name);
    const actionHooks = definition.object ? objectOf(resolver, propertyOf(definition.object, "hooks"), 0) : undefined;
    // Before: the service's `*` hooks, its matching hooks, the action's own; after and error hooks the other way round.
    const stage = (type: string): HandlerEntry[] => {
      const service = serviceHooks(resolver, hooks, type, rawName, methods);
      const own = actionHooks ? memberHooks(resolver, actionHooks, type, methods) : [];
      return type === "before" ? [...service.all, ...service.matching, ...own] : [...own, ...service.matching, ...service.all];
    };
    out.push({
      name: `moleculer ${flag("$noServiceNamePrefix") ? rawName : `${fullName}.${rawName}`}`,
      framework: "moleculer",
      node: property.name,
      entries: [...stage("before"), { units: definition.units }, ...stage("after"), ...stage("error")],
    });
  }
  for (const property of members(resolver, propertyOf(schema, "events"))) {
    const definition = definitionOf(resolver, property);
    if (!definition || !property.name) continue;
    const event = (definition.object && constant(resolver, propertyOf(definition.object, "name"))) ?? propertyNameText(property.name);
    out.push({ name: `moleculer event ${event}`, framework: "moleculer", node: property.name, entries: [{ units: definition.units }] });
  }
  return out;
}

/** The properties of the `actions` or `events` object. */
function members(resolver: Resolver, expression: ts.Expression | undefined): ts.ObjectLiteralElementLike[] {
  return objectOf(resolver, expression, 0)?.properties.filter((p) => ts.isMethodDeclaration(p) || ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) ?? [];
}

/** What an action or event property runs: a method, a function, or `{ handler, name?, hooks? }` (an event's handler may be an array); none for `false`. */
function definitionOf(resolver: Resolver, property: ts.ObjectLiteralElementLike): { units: FunctionUnit[]; object?: ts.ObjectLiteralExpression } | undefined {
  if (ts.isMethodDeclaration(property)) {
    const unit = resolver.index.unitOf(property);
    return unit ? { units: [unit] } : undefined;
  }
  const value = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
  if (!value) return undefined;
  const object = objectOf(resolver, value, 0);
  if (!object) {
    const units = entryOf(resolver, value).units;
    return units.length > 0 ? { units } : undefined;
  }
  const handler = object.properties.find((p) => p.name !== undefined && propertyNameText(p.name) === "handler");
  if (!handler) return undefined;
  if (ts.isMethodDeclaration(handler)) {
    const unit = resolver.index.unitOf(handler);
    return unit ? { units: [unit], object } : undefined;
  }
  const written = ts.isPropertyAssignment(handler) ? handler.initializer : ts.isShorthandPropertyAssignment(handler) ? handler.name : undefined;
  const list = written && skipOuterExpressions(written);
  const units = !list ? [] : ts.isArrayLiteralExpression(list) ? list.elements.flatMap((e) => entryOf(resolver, e).units) : entryOf(resolver, list).units;
  return units.length > 0 ? { units, object } : undefined;
}

/** Service-level hooks of one type for an action: the `'*'` ones, and those of each key whose `|`-separated patterns match the action, in written order. */
function serviceHooks(resolver: Resolver, hooks: ts.ObjectLiteralExpression | undefined, type: string, action: string, methods: ts.ObjectLiteralExpression | undefined): { all: HandlerEntry[]; matching: HandlerEntry[] } {
  const byAction = hooks && objectOf(resolver, propertyOf(hooks, type), 0);
  if (!byAction) return { all: [], matching: [] };
  const all: HandlerEntry[] = [];
  const matching: HandlerEntry[] = [];
  for (const property of byAction.properties) {
    if (!property.name) continue;
    const key = propertyNameText(property.name);
    if (key === "*") all.push(...memberHooks(resolver, byAction, key, methods));
    else if (key.split("|").some((pattern) => matches(pattern, action))) matching.push(...memberHooks(resolver, byAction, key, methods));
  }
  return { all, matching };
}

/** The hooks under one key of a hooks object, written as a value (`before: [a, "b"]`) or as a method (`after(ctx, res) { … }`). */
function memberHooks(resolver: Resolver, object: ts.ObjectLiteralExpression, key: string, methods: ts.ObjectLiteralExpression | undefined): HandlerEntry[] {
  const property = object.properties.find((p) => p.name !== undefined && propertyNameText(p.name) === key);
  if (property && ts.isMethodDeclaration(property)) {
    const unit = resolver.index.unitOf(property);
    return unit ? [{ units: [unit] }] : [];
  }
  return hookEntries(resolver, propertyOf(object, key), methods);
}

/** A hook value: a function, a string naming a service method, or an array of them. */
function hookEntries(resolver: Resolver, expression: ts.Expression | undefined, methods: ts.ObjectLiteralExpression | undefined): HandlerEntry[] {
  const expr = expression && skipOuterExpressions(expression);
  if (!expr) return [];
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.flatMap((e) => hookEntries(resolver, e, methods));
  const methodName = literalText(expr);
  if (methodName !== undefined) {
    const method = methods?.properties.find((p) => p.name !== undefined && propertyNameText(p.name) === methodName);
    const units = !method ? [] : ts.isMethodDeclaration(method) ? [resolver.index.unitOf(method)].filter((u): u is FunctionUnit => u !== undefined) : ts.isPropertyAssignment(method) ? entryOf(resolver, method.initializer).units : [];
    return units.length > 0 ? [{ expression: expr, units }] : [];
  }
  const entry = entryOf(resolver, expr);
  return entry.units.length > 0 ? [entry] : [];
}

/** Moleculer's name patterns: `*` within a dot-separated segment, `**` across segments, `?` one character. */
function matches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\u0000").replace(/\*/g, "[^.]*").replace(/\?/g, ".").replace(/\u0000/g, ".*");
  return new RegExp(`^${source}$`).test(name);
}

/** `broker.loadServices('./services', '**\/*.svc.ts')`: a file-name test for the mask's last segment, `.js` matching the TypeScript source too. */
function fileMask(mask: string): RegExp {
  const last = mask.slice(mask.lastIndexOf("/") + 1);
  const source = last.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".").replace(/\\\.[cm]?[jt]s$/, "\\.[cm]?[jt]s");
  return new RegExp(`^${source}$`);
}

function propertyOf(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const property of object.properties) {
    if (ts.isPropertyAssignment(property) && propertyNameText(property.name) === name) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property) && property.name.text === name) return property.name;
  }
  return undefined;
}

/** A string or number written literally or through a project constant. */
function constant(resolver: Resolver, expression: ts.Expression | undefined, depth = 0): string | undefined {
  const expr = expression && skipOuterExpressions(expression);
  if (!expr || depth > 5) return undefined;
  const text = literalText(expr);
  if (text !== undefined) return text;
  if (ts.isNumericLiteral(expr)) return expr.text;
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return undefined;
  const declaration = resolver.declarationsOf(expr)[0];
  return declaration && (ts.isVariableDeclaration(declaration) || ts.isPropertyAssignment(declaration) || ts.isEnumMember(declaration)) && declaration.initializer ? constant(resolver, declaration.initializer, depth + 1) : undefined;
}
