// Sequelize: model hooks (addHook, Model.beforeCreate(fn), `hooks` in init/define options, sequelize-typescript's @BeforeCreate), run by static and instance model calls.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../../scan/code-index.js";
import type { Resolver } from "../../scan/resolve.js";
import type { FunctionUnit } from "../../scan/units.js";
import {
  booleanOption,
  boundTo,
  classOf,
  classOfInstanceType,
  classOfType,
  decoratorName,
  decoratorsOf,
  enclosingClass,
  extendsLibraryClass,
  functionsOf,
  memberFunctions,
  memberName,
  methodCalls,
  objectLiteralOf,
  propertyOf,
  stringValue,
  tracer,
  type OrmHooks,
} from "./orm.js";

const MODULES = ["sequelize", "sequelize-typescript", "@sequelize/core"];

/** Model hook types of Sequelize 6 (lib/hooks.js); `beforeSave`/`afterSave` are registered as both the create and the update hook. */
const HOOK_TYPES: ReadonlySet<string> = new Set([
  "beforeValidate",
  "afterValidate",
  "validationFailed",
  "beforeCreate",
  "afterCreate",
  "beforeDestroy",
  "afterDestroy",
  "beforeRestore",
  "afterRestore",
  "beforeUpdate",
  "afterUpdate",
  "beforeSave",
  "afterSave",
  "beforeUpsert",
  "afterUpsert",
  "beforeBulkCreate",
  "afterBulkCreate",
  "beforeBulkDestroy",
  "afterBulkDestroy",
  "beforeBulkRestore",
  "afterBulkRestore",
  "beforeBulkUpdate",
  "afterBulkUpdate",
  "beforeFind",
  "beforeFindAfterExpandIncludeAll",
  "beforeFindAfterOptions",
  "afterFind",
  "beforeCount",
]);
const PROXIES: ReadonlyMap<string, readonly string[]> = new Map([
  ["beforeSave", ["beforeCreate", "beforeUpdate"]],
  ["afterSave", ["afterCreate", "afterUpdate"]],
]);

const VALIDATE = ["beforeValidate", "afterValidate", "validationFailed"];
const FIND = ["beforeFind", "beforeFindAfterExpandIncludeAll", "beforeFindAfterOptions", "afterFind"];
const CREATE = ["beforeCreate", "afterCreate"];
const UPDATE = ["beforeUpdate", "afterUpdate"];

interface CallOptions {
  /** `validate: false` skips validation (and its hooks); `validate: true` asks bulkCreate for it. */
  validate: boolean | undefined;
  /** `individualHooks: true` makes bulk calls run the per-instance hooks too. */
  individual: boolean;
}

/** Hooks a static model call runs (lib/model.js), with hooks on (`hooks: false` runs none). */
const STATIC_OPERATIONS: ReadonlyMap<string, (o: CallOptions) => string[]> = new Map<string, (o: CallOptions) => string[]>([
  ["create", (o) => [...validation(o), ...CREATE]],
  ["bulkCreate", (o) => ["beforeBulkCreate", "afterBulkCreate", ...(o.individual ? [...(o.validate === true ? VALIDATE : []), ...CREATE] : [])]],
  ["update", (o) => [...validation(o), "beforeBulkUpdate", "afterBulkUpdate", ...(o.individual ? [...FIND, ...UPDATE] : [])]],
  ["destroy", (o) => ["beforeBulkDestroy", "afterBulkDestroy", ...(o.individual ? [...FIND, "beforeDestroy", "afterDestroy"] : [])]],
  ["restore", (o) => ["beforeBulkRestore", "afterBulkRestore", ...(o.individual ? [...FIND, "beforeRestore", "afterRestore"] : [])]],
  ["upsert", (o) => [...validation(o), "beforeUpsert", "afterUpsert"]],
  ["findAll", () => FIND],
  ["findOne", () => FIND],
  ["findByPk", () => FIND],
  ["findOrBuild", () => FIND],
  ["findAndCountAll", () => ["beforeCount", ...FIND]],
  ["count", () => ["beforeCount"]],
  ["findOrCreate", (o) => [...FIND, ...validation(o), ...CREATE]],
  ["findCreateFind", (o) => [...FIND, ...validation(o), ...CREATE]],
]);

/** What an instance is known to be: just built (its save inserts), loaded or created (its save updates), or either. */
type Freshness = "new" | "stored" | "either";

const INSTANCE_OPERATIONS: ReadonlyMap<string, (o: CallOptions, freshness: Freshness) => string[]> = new Map<string, (o: CallOptions, freshness: Freshness) => string[]>([
  ["save", (o, f) => [...validation(o), ...saveHooks(f)]],
  ["update", (o, f) => [...validation(o), ...saveHooks(f)]],
  ["destroy", () => ["beforeDestroy", "afterDestroy"]],
  ["restore", () => ["beforeRestore", "afterRestore"]],
  ["reload", () => FIND],
  ["validate", () => VALIDATE],
]);

/** Static calls that give back an instance, and whether it is stored yet. */
const GIVES_INSTANCE: ReadonlyMap<string, Freshness> = new Map([
  ["build", "new"],
  ["create", "stored"],
  ["findOne", "stored"],
  ["findByPk", "stored"],
  ["findAll", "stored"],
  ["findOrCreate", "stored"],
  ["findCreateFind", "stored"],
  ["bulkCreate", "stored"],
  ["findOrBuild", "either"],
]);

function validation(o: CallOptions): string[] {
  return o.validate === false ? [] : VALIDATE;
}

function saveHooks(freshness: Freshness): string[] {
  return freshness === "new" ? CREATE : freshness === "stored" ? UPDATE : [...CREATE, ...UPDATE];
}

/** A model: its class, or the `sequelize.define(…)` call that makes it. */
type ModelKey = ts.ClassLikeDeclaration | ts.CallExpression;
/** Hooks added on the Sequelize instance (`sequelize.addHook`, `new Sequelize(…, { hooks, define: { hooks } })`) run for every model. */
const EVERY_MODEL = "every model";

export const sequelizeHooks: OrmHooks = {
  library: "sequelize",
  modules: MODULES,
  describe:
    "Hooks added with Model.addHook(type, fn), Model.<type>(fn), `hooks` in Model.init / sequelize.define options, sequelize-typescript's @BeforeCreate-style static methods, and on the Sequelize instance (every model). Static calls (create, bulkCreate, update, destroy, restore, upsert, find*, count, findOrCreate) and instance calls (save, update, destroy, restore, reload) run the hooks lib/model.js runs for them: bulk calls run the per-instance hooks only with individualHooks: true, `hooks: false` runs none, `validate: false` skips the validation hooks, and an instance's save/update runs the create hooks when it was built, the update hooks when it was loaded or created, both when unknown.",
  findTargets(index, resolver, add) {
    const isModelClass = (cls: ts.ClassLikeDeclaration): boolean => extendsLibraryClass(resolver, cls, MODULES, ["Model", "default.Model"]);
    const isSequelizeValue = (expr: ts.Expression): boolean => resolver.origins(expr).some((o) => MODULES.includes(o.module));
    const isDefineCall = (expr: ts.Expression): expr is ts.CallExpression => {
      if (!ts.isCallExpression(expr)) return false;
      const callee = skipOuterExpressions(expr.expression);
      return ts.isPropertyAccessExpression(callee) && callee.name.text === "define" && isSequelizeValue(callee.expression);
    };
    const modelClass = (cls: ts.ClassLikeDeclaration | undefined): ModelKey | undefined => (cls && isModelClass(cls) ? cls : undefined);

    /** The model a value denotes as a class (`Order`, `this` in a static method, `typeof Order`, a defined model). */
    const modelOf = tracer<ModelKey>(resolver, {
      expression(expr) {
        if (isDefineCall(expr)) return expr;
        if (expr.kind === ts.SyntaxKind.ThisKeyword) {
          const method = ts.findAncestor(expr, (n) => ts.isMethodDeclaration(n) || ts.isPropertyDeclaration(n));
          const isStatic = method !== undefined && (ts.getModifiers(method as ts.MethodDeclaration) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
          return isStatic ? modelClass(enclosingClass(expr)) : undefined;
        }
        return ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr) ? modelClass(classOf(resolver, expr)) : undefined;
      },
      type(type) {
        if (ts.isTypeQueryNode(type) && ts.isIdentifier(type.exprName)) return modelClass(classOf(resolver, type.exprName));
        // `ModelStatic<Order>`, `ModelCtor<Order>`
        if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && ["ModelStatic", "ModelCtor"].includes(resolver.importOf(type.typeName)?.path ?? "")) {
          const argument = type.typeArguments?.[0];
          return argument && modelClass(classOfType(resolver, argument));
        }
        return undefined;
      },
      checked(type) {
        if (type.getConstructSignatures().length === 0) return undefined;
        const cls = type.getSymbol()?.declarations?.find(ts.isClassDeclaration);
        return cls && index.isAnalysed(cls.getSourceFile().fileName) ? modelClass(cls) : undefined;
      },
    });

    const instanceOf = tracer<{ model: ModelKey; freshness: Freshness }>(resolver, {
      expression(expr, trace) {
        if (ts.isNewExpression(expr)) {
          const model = modelClass(classOf(resolver, expr.expression));
          return model && { model, freshness: "new" };
        }
        if (!ts.isCallExpression(expr)) return undefined;
        const callee = skipOuterExpressions(expr.expression);
        if (!ts.isPropertyAccessExpression(callee)) return undefined;
        const freshness = GIVES_INSTANCE.get(callee.name.text);
        const model = freshness && modelOf(callee.expression);
        if (model) return { model, freshness: freshness! };
        // `await order.save()`, `order.reload()`: the instance itself, stored.
        if (["save", "reload", "update", "increment", "decrement", "restore"].includes(callee.name.text)) {
          const instance = trace(callee.expression);
          return instance && { model: instance.model, freshness: "stored" };
        }
        return undefined;
      },
      type(type) {
        const model = modelClass(classOfType(resolver, type));
        return model && { model, freshness: "either" };
      },
      checked(type, checker) {
        const model = modelClass(classOfInstanceType(resolver, type, checker));
        return model && { model, freshness: "either" };
      },
    });

    const hooks = new Map<ModelKey | typeof EVERY_MODEL, Map<string, FunctionUnit[]>>();
    const register = (key: ModelKey | typeof EVERY_MODEL, type: string, units: readonly FunctionUnit[]): void => {
      if (!HOOK_TYPES.has(type) || units.length === 0) return;
      const map = hooks.get(key) ?? new Map<string, FunctionUnit[]>();
      for (const t of PROXIES.get(type) ?? [type]) map.set(t, [...(map.get(t) ?? []), ...units]);
      hooks.set(key, map);
    };
    const registerAll = (key: ModelKey | typeof EVERY_MODEL, object: ts.ObjectLiteralExpression | undefined): void => {
      for (const property of object?.properties ?? []) {
        const type = memberName(property);
        if (type) register(key, type, memberFunctions(resolver, property));
      }
    };
    /** A hook registered on a model, or on the Sequelize instance (every model). */
    const hookOwner = (receiver: ts.Expression): ModelKey | typeof EVERY_MODEL | undefined => {
      const model = modelOf(receiver);
      if (model) return model;
      return resolver.origins(receiver).some((o) => MODULES.includes(o.module) && o.form === "instance" && (o.path === "Sequelize" || o.path === "default")) ? EVERY_MODEL : undefined;
    };

    const calls = [...methodCalls(index)];
    for (const { call, receiver, method, args } of calls) {
      if (method === "addHook" && args.length >= 2) {
        const owner = hookOwner(receiver);
        const type = stringValue(args[0]);
        if (owner && type) register(owner, type, functionsOf(resolver, args[args.length - 1]!));
      } else if (HOOK_TYPES.has(method) && args.length >= 1) {
        const owner = hookOwner(receiver);
        if (owner) register(owner, method, functionsOf(resolver, args[args.length - 1]!));
      } else if (method === "init" && args.length >= 2) {
        const model = modelOf(receiver);
        if (model) registerAll(model, hooksObject(resolver, args[1]));
      } else if (isDefineCall(call)) {
        registerAll(call, hooksObject(resolver, args[2]));
      }
    }
    for (const scan of index.files) {
      for (const { node } of scan.calls) {
        // `new Sequelize(url, { hooks, define: { hooks } })`
        if (ts.isNewExpression(node) && boundTo(resolver, node.expression, MODULES, ["Sequelize", "default", "default.Sequelize"])) {
          const options = objectLiteralOf(resolver, node.arguments?.[node.arguments.length - 1]);
          registerAll(EVERY_MODEL, hooksObject(resolver, options));
          const define = propertyOf(options, "define");
          if (define && ts.isPropertyAssignment(define)) registerAll(EVERY_MODEL, hooksObject(resolver, define.initializer));
        }
      }
      for (const cls of scan.classes) {
        if (!isModelClass(cls)) continue;
        for (const member of cls.members) {
          const unit = index.unitOf(member);
          if (!unit) continue;
          for (const decorator of decoratorsOf(member)) {
            const name = decoratorName(resolver, decorator, ["sequelize-typescript"]);
            if (name) register(cls, name.charAt(0).toLowerCase() + name.slice(1), [unit]);
          }
        }
      }
    }
    if (hooks.size === 0) return;

    const hooksFor = (model: ModelKey, types: readonly string[]): FunctionUnit[] => {
      const own = hooks.get(model);
      const every = hooks.get(EVERY_MODEL);
      return types.flatMap((t) => [...(own?.get(t) ?? []), ...(every?.get(t) ?? [])]);
    };

    for (const { call, receiver, method, args } of calls) {
      if (booleanOption(args, "hooks") === false) continue;
      const options: CallOptions = { validate: booleanOption(args, "validate"), individual: booleanOption(args, "individualHooks") === true };
      const staticOperation = STATIC_OPERATIONS.get(method);
      const model = staticOperation && modelOf(receiver);
      if (model) {
        const units = hooksFor(model, staticOperation!(options));
        if (units.length > 0) add(call, units);
        continue;
      }
      const instanceOperation = INSTANCE_OPERATIONS.get(method);
      const instance = instanceOperation && instanceOf(receiver);
      if (instance) {
        const units = hooksFor(instance.model, instanceOperation!(options, instance.freshness));
        if (units.length > 0) add(call, units);
      }
    }
  },
};

function hooksObject(resolver: Resolver, options: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  const property = propertyOf(objectLiteralOf(resolver, options), "hooks");
  return property && ts.isPropertyAssignment(property) ? objectLiteralOf(resolver, property.initializer) : undefined;
}
