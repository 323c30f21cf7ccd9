// Mongoose: schema middleware (schema.pre/post, and in plugins), run by the document, query, model and aggregate calls of the models compiled from that schema.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../../scan/code-index.js";
import type { Resolver } from "../../scan/resolve.js";
import type { FunctionUnit } from "../../scan/units.js";
import { booleanOption, boundTo, classOf, functionsOf, libraryBinding, methodCalls, stringValue, tracer, type OrmHooks } from "./orm.js";

const MODULES = ["mongoose"];

/** What a call runs: middleware of these names, of this kind (lib/constants.js of Mongoose 8). */
interface Trigger {
  names: readonly string[];
  kind: "document" | "query" | "model" | "aggregate";
}

/** Static model calls: `create` saves each document (validate, then save); queries run query middleware of their own name. */
const MODEL_CALLS: ReadonlyMap<string, readonly Trigger[]> = new Map<string, readonly Trigger[]>([
  ["create", [{ names: ["validate", "save"], kind: "document" }]],
  ["insertMany", [{ names: ["insertMany"], kind: "model" }]],
  ["bulkWrite", [{ names: ["bulkWrite"], kind: "model" }]],
  ["aggregate", [{ names: ["aggregate"], kind: "aggregate" }]],
  ["findById", [{ names: ["findOne"], kind: "query" }]],
  ["exists", [{ names: ["findOne"], kind: "query" }]],
  ["findByIdAndUpdate", [{ names: ["findOneAndUpdate"], kind: "query" }]],
  ["findByIdAndDelete", [{ names: ["findOneAndDelete"], kind: "query" }]],
  ...[
    "find",
    "findOne",
    "findOneAndUpdate",
    "findOneAndDelete",
    "findOneAndReplace",
    "updateOne",
    "updateMany",
    "replaceOne",
    "deleteOne",
    "deleteMany",
    "countDocuments",
    "estimatedDocumentCount",
    "distinct",
  ].map((name): [string, readonly Trigger[]] => [name, [{ names: [name], kind: "query" }]]),
]);

/** Document methods; `updateOne`/`deleteOne` on a document run the query middleware too (Mongoose 8). */
const DOCUMENT_CALLS: ReadonlyMap<string, readonly Trigger[]> = new Map<string, readonly Trigger[]>([
  ["save", [{ names: ["validate", "save"], kind: "document" }]],
  ["validate", [{ names: ["validate"], kind: "document" }]],
  ["updateOne", [{ names: ["updateOne"], kind: "document" }, { names: ["updateOne"], kind: "query" }]],
  ["deleteOne", [{ names: ["deleteOne"], kind: "document" }, { names: ["deleteOne"], kind: "query" }]],
]);

/** Calls that give back documents of the model. */
const GIVES_DOCUMENT: ReadonlySet<string> = new Set(["create", "insertMany", "find", "findOne", "findById", "findOneAndUpdate", "findByIdAndUpdate", "findOneAndReplace", "hydrate"]);

/** Names registered both as document and query middleware: which one `schema.pre(name, fn)` is, is told by `{ document, query }` (query by default). */
const DOCUMENT_OR_QUERY: ReadonlySet<string> = new Set(["updateOne", "deleteOne"]);

interface Middleware {
  names: readonly string[] | RegExp;
  document: boolean | undefined;
  query: boolean | undefined;
  units: FunctionUnit[];
}

/** A schema: the `new Schema(…)` that makes it. */
type SchemaKey = ts.NewExpression;

export const mongooseHooks: OrmHooks = {
  library: "mongoose",
  modules: MODULES,
  describe:
    "Middleware registered with schema.pre/post(name | [names] | /regex/, [{ document, query }], fn), directly or in a plugin function applied with schema.plugin(fn), runs for the models compiled from that schema (model(name, schema), mongoose.model, connection.model): doc.save() and Model.create() run validate and save middleware; queries (find, findOne, findById, findOneAndUpdate, findByIdAndUpdate, updateOne, updateMany, deleteOne, deleteMany, replaceOne, countDocuments, distinct …) run query middleware of their name; insertMany and bulkWrite run model middleware, aggregate aggregate middleware; updateOne/deleteOne middleware is query middleware unless registered with document: true, and a document's updateOne()/deleteOne() runs both.",
  findTargets(index, resolver, add) {
    const isMongoose = (expr: ts.Expression): boolean => resolver.origins(expr).some((o) => MODULES.includes(o.module));

    const schemaOf = tracer<SchemaKey>(resolver, {
      expression(expr) {
        return ts.isNewExpression(expr) && boundTo(resolver, expr.expression, MODULES, ["Schema", "default.Schema"]) ? expr : undefined;
      },
    });

    /** The schema a model was compiled from: `model("Order", schema)`, `mongoose.model(…)`, `connection.model(…)`. */
    const modelSchema: (expression: ts.Expression) => SchemaKey | undefined = tracer<SchemaKey>(resolver, {
      expression(expr) {
        if (!ts.isCallExpression(expr) || !expr.arguments[1]) return undefined;
        const callee = skipOuterExpressions(expr.expression);
        const isModelCall = ts.isPropertyAccessExpression(callee) ? callee.name.text === "model" && isMongoose(callee.expression) : libraryBinding(resolver, callee)?.path === "model" && isMongoose(callee);
        return isModelCall ? schemaOf(expr.arguments[1]) : undefined;
      },
      type(type) {
        return ts.isTypeQueryNode(type) && ts.isIdentifier(type.exprName) ? modelSchema(type.exprName) : undefined;
      },
    });

    const documentSchema = tracer<SchemaKey>(resolver, {
      expression(expr, trace) {
        if (ts.isNewExpression(expr)) return classOf(resolver, expr.expression) ? undefined : modelSchema(expr.expression);
        if (!ts.isCallExpression(expr)) return undefined;
        const callee = skipOuterExpressions(expr.expression);
        if (!ts.isPropertyAccessExpression(callee)) return undefined;
        if (GIVES_DOCUMENT.has(callee.name.text)) return modelSchema(callee.expression);
        // `await order.save()` gives the document back.
        return callee.name.text === "save" ? trace(callee.expression) : undefined;
      },
    });

    const middleware = new Map<SchemaKey, Middleware[]>();
    /** Middleware a plugin function registers on its schema parameter, by plugin unit. */
    const pluginMiddleware = new Map<number, Middleware[]>();
    const calls = [...methodCalls(index)];
    for (const { call, receiver, method, args } of calls) {
      if ((method !== "pre" && method !== "post") || args.length < 2 || !ts.isCallExpression(call)) continue;
      const entry = middlewareOf(resolver, args);
      if (!entry) continue;
      const schema = schemaOf(receiver);
      if (schema) {
        middleware.set(schema, [...(middleware.get(schema) ?? []), entry]);
        continue;
      }
      const plugin = pluginOf(resolver, receiver);
      if (plugin) pluginMiddleware.set(plugin.id, [...(pluginMiddleware.get(plugin.id) ?? []), entry]);
    }
    for (const { receiver, method, args } of calls) {
      if (method !== "plugin" || !args[0]) continue;
      const schema = schemaOf(receiver);
      if (!schema) continue;
      for (const unit of functionsOf(resolver, args[0])) middleware.set(schema, [...(middleware.get(schema) ?? []), ...(pluginMiddleware.get(unit.id) ?? [])]);
    }
    if (middleware.size === 0) return;

    const unitsFor = (schema: SchemaKey, triggers: readonly Trigger[]): FunctionUnit[] => {
      const units: FunctionUnit[] = [];
      for (const entry of middleware.get(schema) ?? []) {
        if (triggers.some((t) => t.names.some((name) => runsFor(entry, name, t.kind)))) units.push(...entry.units);
      }
      return units;
    };

    for (const { call, receiver, method } of calls) {
      const modelCall = MODEL_CALLS.get(method);
      const schema = modelCall && modelSchema(receiver);
      if (schema) {
        const units = unitsFor(schema, modelCall!);
        if (units.length > 0) add(call, units);
        continue;
      }
      const documentCall = DOCUMENT_CALLS.get(method);
      const ofDocument = documentCall && documentSchema(receiver);
      if (ofDocument) {
        const units = unitsFor(ofDocument, documentCall!);
        if (units.length > 0) add(call, units);
      }
    }
  },
};

/** `pre(name | [names] | /regex/, [options], fn)`. */
function middlewareOf(resolver: Resolver, args: readonly ts.Expression[]): Middleware | undefined {
  const first = skipOuterExpressions(args[0]!);
  let names: readonly string[] | RegExp | undefined;
  if (ts.isRegularExpressionLiteral(first)) {
    const match = /^\/(.*)\/([a-z]*)$/.exec(first.text);
    names = match ? new RegExp(match[1]!, match[2]) : undefined;
  } else if (ts.isArrayLiteralExpression(first)) {
    names = first.elements.map((e) => stringValue(e)).filter((n): n is string => n !== undefined);
  } else {
    const name = stringValue(first);
    names = name === undefined ? undefined : [name];
  }
  const units = functionsOf(resolver, args[args.length - 1]!);
  if (!names || units.length === 0) return undefined;
  const options = args.length > 2 ? [args[1]!] : [];
  return { names, document: booleanOption(options, "document"), query: booleanOption(options, "query"), units };
}

function runsFor(entry: Middleware, name: string, kind: Trigger["kind"]): boolean {
  const named = entry.names instanceof RegExp ? entry.names.test(name) : entry.names.includes(name);
  if (!named) return false;
  if (!DOCUMENT_OR_QUERY.has(name)) return true;
  return kind === "document" ? entry.document === true : entry.query !== false;
}

/** The plugin function whose schema parameter an expression is (`function audit(schema) { schema.pre(…) }`). */
function pluginOf(resolver: Resolver, receiver: ts.Expression): FunctionUnit | undefined {
  const expr = skipOuterExpressions(receiver);
  if (!ts.isIdentifier(expr)) return undefined;
  const parameter = resolver.declarationsOf(expr).find(ts.isParameter);
  const fn = parameter?.parent;
  return fn && fn.parameters[0] === parameter ? resolver.index.unitOf(fn) : undefined;
}
