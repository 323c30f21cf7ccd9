// TypeORM: entity listeners (@BeforeInsert … methods of the entity) and subscribers (EntitySubscriberInterface), run by repository, manager and active-record calls.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../../scan/code-index.js";
import type { Resolver } from "../../scan/resolve.js";
import { isFunctionNode, type FunctionUnit } from "../../scan/units.js";
import {
  boundTo,
  classChain,
  classOf,
  classOfInstanceType,
  classOfType,
  decoratorName,
  decoratorsOf,
  enclosingClass,
  extendsClause,
  extendsLibraryClass,
  memberName,
  methodCalls,
  returnedExpression,
  tracer,
  type OrmHooks,
} from "./orm.js";

const MODULES = ["typeorm"];
const ENTITY_DECORATORS = ["Entity", "ChildEntity", "ViewEntity"];
const REPOSITORY_TYPES = ["Repository", "TreeRepository", "MongoRepository"];

type HookEvent =
  | "beforeInsert"
  | "afterInsert"
  | "beforeUpdate"
  | "afterUpdate"
  | "beforeRemove"
  | "afterRemove"
  | "beforeSoftRemove"
  | "afterSoftRemove"
  | "beforeRecover"
  | "afterRecover"
  | "afterLoad";

const LISTENER_DECORATORS: ReadonlyMap<string, HookEvent> = new Map([
  ["BeforeInsert", "beforeInsert"],
  ["AfterInsert", "afterInsert"],
  ["BeforeUpdate", "beforeUpdate"],
  ["AfterUpdate", "afterUpdate"],
  ["BeforeRemove", "beforeRemove"],
  ["AfterRemove", "afterRemove"],
  ["BeforeSoftRemove", "beforeSoftRemove"],
  ["AfterSoftRemove", "afterSoftRemove"],
  ["BeforeRecover", "beforeRecover"],
  ["AfterRecover", "afterRecover"],
  ["AfterLoad", "afterLoad"],
]);
const EVENTS: ReadonlySet<string> = new Set(LISTENER_DECORATORS.values());

/**
 * What an operation broadcasts. Subscribers get every event of the entity's type. Entity listeners run
 * only on an instance of the entity class: persistence calls (save, insert, upsert, remove, softRemove,
 * recover) hand over what they were given, so a plain object runs none (`entity`); query-level calls
 * (update, delete, softDelete, restore, increment) hand over a partial object or nothing (`never`);
 * loads instantiate the entity (`loaded`).
 */
interface Operation {
  events: readonly HookEvent[];
  listeners: "entity" | "never" | "loaded";
}

const INSERT: Operation = { events: ["beforeInsert", "afterInsert"], listeners: "entity" };
const UPDATE: Operation = { events: ["beforeUpdate", "afterUpdate"], listeners: "never" };
const LOAD: Operation = { events: ["afterLoad"], listeners: "loaded" };
const OPERATIONS: ReadonlyMap<string, Operation> = new Map([
  ["save", { events: ["beforeInsert", "afterInsert", "beforeUpdate", "afterUpdate"], listeners: "entity" }],
  ["insert", INSERT],
  ["upsert", INSERT],
  ["update", UPDATE],
  ["updateAll", UPDATE],
  ["increment", UPDATE],
  ["decrement", UPDATE],
  ["remove", { events: ["beforeRemove", "afterRemove"], listeners: "entity" }],
  ["softRemove", { events: ["beforeSoftRemove", "afterSoftRemove"], listeners: "entity" }],
  ["recover", { events: ["beforeRecover", "afterRecover"], listeners: "entity" }],
  ["delete", { events: ["beforeRemove", "afterRemove"], listeners: "never" }],
  ["deleteAll", { events: ["beforeRemove", "afterRemove"], listeners: "never" }],
  ["softDelete", { events: ["beforeSoftRemove", "afterSoftRemove"], listeners: "never" }],
  ["restore", { events: ["beforeRecover", "afterRecover"], listeners: "never" }],
  ...["find", "findBy", "findAndCount", "findAndCountBy", "findOne", "findOneBy", "findOneOrFail", "findOneByOrFail", "reload"].map((m): [string, Operation] => [m, LOAD]),
]);
/** Methods an active-record entity instance (`extends BaseEntity`) has. */
const INSTANCE_METHODS: ReadonlySet<string> = new Set(["save", "remove", "softRemove", "recover", "reload"]);
/** Calls that give back an entity instance: factories, loads, and persistence calls that return what they saved. */
const GIVES_ENTITY: ReadonlySet<string> = new Set(["create", "merge", "preload", "save", "findOne", "findOneBy", "findOneOrFail", "findOneByOrFail", "find", "findBy"]);

interface Subscriber {
  /** The class `listenTo()` returns (its subclasses included); "all" without listenTo or with `Object`; "unknown" when it cannot be read. */
  target: ts.ClassLikeDeclaration | "all" | "unknown";
  methods: Map<string, FunctionUnit[]>;
}

export const typeormHooks: OrmHooks = {
  library: "typeorm",
  modules: MODULES,
  describe:
    "Entity listeners (@BeforeInsert/@AfterInsert/@BeforeUpdate/@AfterUpdate/@BeforeRemove/@AfterRemove/@BeforeSoftRemove/@AfterSoftRemove/@BeforeRecover/@AfterRecover/@AfterLoad methods of an @Entity class or a class it extends) and subscribers (a class implementing EntitySubscriberInterface or decorated @EventSubscriber, for the entity its listenTo() returns, or every entity). Run by repository calls (getRepository(E), Repository<E>, @InjectRepository(E), a class extending Repository<E>), EntityManager calls naming the entity class (manager.save(E, …)) or passing an instance (manager.save(order)), and active-record calls on a BaseEntity.",
  findTargets(index, resolver, add) {
    const entities = new Set<ts.ClassLikeDeclaration>();
    const subscribers: Subscriber[] = [];
    for (const scan of index.files) {
      for (const cls of scan.classes) {
        const decorators = decoratorsOf(cls).map((d) => decoratorName(resolver, d, MODULES));
        if (decorators.some((name) => name !== undefined && ENTITY_DECORATORS.includes(name))) entities.add(cls);
        if (decorators.includes("EventSubscriber") || implementsSubscriberInterface(resolver, cls)) subscribers.push(subscriberOf(resolver, cls));
      }
    }
    if (entities.size === 0 && subscribers.length === 0) return;

    const entityClass = (expr: ts.Expression): ts.ClassLikeDeclaration | undefined => {
      const cls = classOf(resolver, expr);
      return cls && entities.has(cls) ? cls : undefined;
    };
    const entityOfType = (type: ts.TypeNode | undefined): ts.ClassLikeDeclaration | undefined => {
      const cls = type && classOfType(resolver, type);
      return cls && entities.has(cls) ? cls : undefined;
    };
    const isTypeormValue = (expr: ts.Expression): boolean => resolver.origins(expr).some((o) => MODULES.includes(o.module));
    const isActiveRecord = (cls: ts.ClassLikeDeclaration): boolean => extendsLibraryClass(resolver, cls, MODULES, ["BaseEntity"]);

    /** `class OrderRepository extends Repository<Order>`: the entity of a project repository class. */
    const repositoryClassEntity = (cls: ts.ClassLikeDeclaration): ts.ClassLikeDeclaration | undefined => {
      for (const c of classChain(resolver, cls)) {
        const clause = extendsClause(c);
        if (clause && boundTo(resolver, clause.expression, MODULES, REPOSITORY_TYPES)) return entityOfType(clause.typeArguments?.[0]);
      }
      return undefined;
    };

    const repositoryEntity = tracer<ts.ClassLikeDeclaration>(resolver, {
      expression(expr, trace) {
        if (expr.kind === ts.SyntaxKind.ThisKeyword) {
          const cls = enclosingClass(expr);
          return cls && repositoryClassEntity(cls);
        }
        if (ts.isNewExpression(expr)) {
          const cls = classOf(resolver, expr.expression);
          if (cls) return repositoryClassEntity(cls);
          return boundTo(resolver, expr.expression, MODULES, REPOSITORY_TYPES) && expr.arguments?.[0] ? entityClass(expr.arguments[0]) : undefined;
        }
        if (!ts.isCallExpression(expr)) return undefined;
        const callee = skipOuterExpressions(expr.expression);
        const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) && boundTo(resolver, callee, MODULES, ["getRepository", "getTreeRepository", "getMongoRepository"]) ? callee.text : undefined;
        if ((method === "getRepository" || method === "getTreeRepository" || method === "getMongoRepository") && expr.arguments[0]) return entityClass(expr.arguments[0]);
        if (method === "extend" && ts.isPropertyAccessExpression(callee)) return trace(callee.expression);
        if (method === "withRepository" && expr.arguments[0]) return trace(expr.arguments[0]);
        return undefined;
      },
      type(type) {
        if (!ts.isTypeReferenceNode(type)) return undefined;
        if (ts.isIdentifier(type.typeName) && boundTo(resolver, type.typeName, MODULES, REPOSITORY_TYPES)) return entityOfType(type.typeArguments?.[0]);
        const cls = classOfType(resolver, type);
        return cls && repositoryClassEntity(cls);
      },
      parameter(parameter) {
        // `@InjectRepository(Order) private readonly orders: Repository<Order>` (@nestjs/typeorm), the type left out.
        for (const decorator of decoratorsOf(parameter)) {
          const call = decorator.expression;
          if (ts.isCallExpression(call) && ts.isIdentifier(call.expression) && resolver.importOf(call.expression)?.path === "InjectRepository" && call.arguments[0]) return entityClass(call.arguments[0]);
        }
        return undefined;
      },
      checked(type, checker) {
        const symbol = type.getSymbol();
        if (symbol && REPOSITORY_TYPES.includes(symbol.getName())) {
          const argument = (type as ts.TypeReference).typeArguments?.[0] ?? checker.getTypeArguments(type as ts.TypeReference)[0];
          const cls = argument && classOfInstanceType(resolver, argument, checker);
          return cls && entities.has(cls) ? cls : undefined;
        }
        const cls = symbol?.declarations?.find(ts.isClassDeclaration);
        return cls && index.isAnalysed(cls.getSourceFile().fileName) ? repositoryClassEntity(cls) : undefined;
      },
    });

    const instanceEntity = tracer<ts.ClassLikeDeclaration>(resolver, {
      expression(expr, trace) {
        if (ts.isNewExpression(expr)) return entityClass(expr.expression);
        if (ts.isArrayLiteralExpression(expr)) return expr.elements[0] && trace(expr.elements[0]);
        if (!ts.isCallExpression(expr)) return undefined;
        const callee = skipOuterExpressions(expr.expression);
        if (!ts.isPropertyAccessExpression(callee)) return undefined;
        const receiver = callee.expression;
        // `Object.assign(new Order(), dto)`
        if (callee.name.text === "assign" && ts.isIdentifier(receiver) && receiver.text === "Object") return expr.arguments[0] && trace(expr.arguments[0]);
        if (!GIVES_ENTITY.has(callee.name.text)) return undefined;
        const named = expr.arguments[0] && entityClass(expr.arguments[0]);
        if (named && isTypeormValue(receiver)) return named;
        const fromRepository = repositoryEntity(receiver);
        if (fromRepository) return fromRepository;
        const cls = entityClass(receiver);
        return cls && isActiveRecord(cls) ? cls : undefined;
      },
      type: entityOfType,
      checked(type, checker) {
        const cls = classOfInstanceType(resolver, type, checker);
        return cls && entities.has(cls) ? cls : undefined;
      },
    });

    /** Whether what a persistence call is given can be an instance of the entity (listeners run on instances only). */
    const mayBeInstance = (data: ts.Expression | undefined, entity: ts.ClassLikeDeclaration): boolean => {
      if (!data) return false;
      const expr = skipOuterExpressions(data);
      if (ts.isObjectLiteralExpression(expr)) return false;
      if (ts.isArrayLiteralExpression(expr)) return expr.elements.some((e) => mayBeInstance(e, entity));
      const traced = instanceEntity(expr);
      if (traced) return classChain(resolver, traced).includes(entity);
      const type = resolver.typeAt(expr);
      if (!type) return true;
      // A value whose type is an interface, an object type or another class is not an instance of the entity.
      const cls = classOfInstanceType(resolver, type, resolver.checkerFor(expr)!);
      return cls !== undefined && classChain(resolver, cls).includes(entity);
    };

    const listenersByClass = new Map<ts.ClassLikeDeclaration, Map<string, FunctionUnit[]>>();
    const listenersOf = (cls: ts.ClassLikeDeclaration): Map<string, FunctionUnit[]> => {
      let map = listenersByClass.get(cls);
      if (map) return map;
      map = new Map();
      for (const c of classChain(resolver, cls)) {
        for (const member of c.members) {
          const unit = index.unitOf(member);
          if (!unit) continue;
          for (const decorator of decoratorsOf(member)) {
            const event = LISTENER_DECORATORS.get(decoratorName(resolver, decorator, MODULES) ?? "");
            if (event) map.set(event, [...(map.get(event) ?? []), unit]);
          }
        }
      }
      listenersByClass.set(cls, map);
      return map;
    };

    const hooksOf = (entity: ts.ClassLikeDeclaration | undefined, operation: Operation, data: ts.Expression | undefined): FunctionUnit[] => {
      const units: FunctionUnit[] = [];
      if (entity && (operation.listeners === "loaded" || (operation.listeners === "entity" && mayBeInstance(data, entity)))) {
        const listeners = listenersOf(entity);
        for (const event of operation.events) units.push(...(listeners.get(event) ?? []));
      }
      const chain = entity ? classChain(resolver, entity) : [];
      for (const subscriber of subscribers) {
        const applies = subscriber.target === "all" || (subscriber.target !== "unknown" && chain.includes(subscriber.target));
        if (applies) for (const event of operation.events) units.push(...(subscriber.methods.get(event) ?? []));
      }
      return units;
    };

    for (const { call, receiver, method, args } of methodCalls(index)) {
      const operation = OPERATIONS.get(method);
      if (!operation) continue;
      const target = operationTarget(receiver, method, args);
      // `{ listeners: false }` in save/remove options turns listeners and subscribers off.
      if (!target || args.some((a) => listenersOff(a))) continue;
      const units = hooksOf(target.entity, operation, target.data);
      if (units.length > 0) add(call, units);
    }

    function isArray(expr: ts.Expression): boolean {
      const checker = resolver.checkerFor(expr);
      try {
        return checker !== undefined && checker.isArrayType(checker.getTypeAtLocation(expr));
      } catch {
        return false;
      }
    }

    /** The entity an operation works on (undefined: a TypeORM call whose entity cannot be told) and the object it is given. */
    function operationTarget(receiver: ts.Expression, method: string, args: readonly ts.Expression[]): { entity: ts.ClassLikeDeclaration | undefined; data: ts.Expression | undefined } | undefined {
      const named = args[0] && entityClass(args[0]);
      if (named && isTypeormValue(receiver)) return { entity: named, data: args[1] };
      const repository = repositoryEntity(receiver);
      if (repository) return { entity: repository, data: args[0] };
      const staticEntity = entityClass(receiver);
      if (staticEntity && isActiveRecord(staticEntity)) return { entity: staticEntity, data: args[0] };
      if (INSTANCE_METHODS.has(method)) {
        const instance = instanceEntity(receiver);
        if (instance && isActiveRecord(instance)) return { entity: instance, data: receiver };
      }
      // An array of loaded rows derives from TypeORM too: `rows.find((r) => …)` takes a function, no TypeORM operation does.
      if (isTypeormValue(receiver) && !(args[0] && isFunctionNode(skipOuterExpressions(args[0]))) && !isArray(receiver)) {
        return { entity: args[0] ? instanceEntity(args[0]) : undefined, data: args[0] };
      }
      return undefined;
    }
  },
};

function implementsSubscriberInterface(resolver: Resolver, cls: ts.ClassLikeDeclaration): boolean {
  return (cls.heritageClauses ?? []).some((clause) => clause.token === ts.SyntaxKind.ImplementsKeyword && clause.types.some((t) => boundTo(resolver, t.expression, MODULES, ["EntitySubscriberInterface"])));
}

function subscriberOf(resolver: Resolver, cls: ts.ClassLikeDeclaration): Subscriber {
  const subscriber: Subscriber = { target: "all", methods: new Map() };
  for (const member of cls.members) {
    const name = memberName(member);
    if (name === "listenTo") subscriber.target = listenTarget(resolver, member);
    else if (name && EVENTS.has(name)) {
      const unit = resolver.index.unitOf(member);
      if (unit) subscriber.methods.set(name, [...(subscriber.methods.get(name) ?? []), unit]);
    }
  }
  return subscriber;
}

function listenTarget(resolver: Resolver, member: ts.ClassElement): Subscriber["target"] {
  const fn = ts.isMethodDeclaration(member) ? member : ts.isPropertyDeclaration(member) && member.initializer ? skipOuterExpressions(member.initializer) : undefined;
  const returned = fn && (ts.isMethodDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) ? returnedExpression(fn) : undefined;
  if (!returned) return "unknown";
  const expr = skipOuterExpressions(returned);
  const cls = classOf(resolver, expr);
  if (cls) return cls;
  const global = ts.isIdentifier(expr) && expr.text === "Object" && !resolver.declarationsOf(expr).some((d) => resolver.index.isAnalysed(d.getSourceFile().fileName));
  return global ? "all" : "unknown";
}

function listenersOff(arg: ts.Expression): boolean {
  const expr = skipOuterExpressions(arg);
  if (!ts.isObjectLiteralExpression(expr)) return false;
  return expr.properties.some((p) => ts.isPropertyAssignment(p) && memberName(p) === "listeners" && p.initializer.kind === ts.SyntaxKind.FalseKeyword);
}
