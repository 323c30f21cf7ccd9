// NestJS: controller routes, GraphQL resolvers, message and event patterns, scheduled jobs and BullMQ processors, with the guards, interceptors and pipes bound to them.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { propertyNameText, type FunctionUnit } from "../scan/units.js";
import { type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder, joinRoute, returnedExpressions } from "./finder.js";
import { routePath } from "./route-tree.js";

const COMMON = "@nestjs/common";
const CORE = "@nestjs/core";
const GRAPHQL = "@nestjs/graphql";
const MICROSERVICES = "@nestjs/microservices";
const SCHEDULE = "@nestjs/schedule";
const BULLMQ = "@nestjs/bullmq";
const BULL = "@nestjs/bull";
const MODULES = [COMMON, CORE, GRAPHQL, MICROSERVICES, SCHEDULE, BULLMQ, BULL];

const HTTP_METHODS = new Set(["Get", "Post", "Put", "Patch", "Delete", "All", "Options", "Head", "Search"]);
const GRAPHQL_OPERATIONS = new Set(["Query", "Mutation", "Subscription", "ResolveField", "ResolveReference"]);
const PATTERNS = new Set(["MessagePattern", "EventPattern"]);
const SCHEDULES = new Set(["Cron", "Interval", "Timeout"]);

/**
 * Enhancers in the order Nest runs them before a handler, each with the method Nest calls on it.
 * `field` names the `fieldResolverEnhancers` option that enables it on GraphQL field resolvers (pipes always run).
 */
const ENHANCERS = [
  { decorator: "UseGuards", method: "canActivate", token: "APP_GUARD", global: "useGlobalGuards", field: "guards" },
  { decorator: "UseInterceptors", method: "intercept", token: "APP_INTERCEPTOR", global: "useGlobalInterceptors", field: "interceptors" },
  { decorator: "UsePipes", method: "transform", token: "APP_PIPE", global: "useGlobalPipes", field: undefined },
] as const;
type Enhancer = (typeof ENHANCERS)[number];

/** A Nest decorator as applied: written directly, or combined into a project decorator with `applyDecorators`. */
interface Applied {
  module: string;
  name: string;
  args: readonly ts.Expression[];
  /** The decorator written on the class or method (the handler's position). */
  decorator: ts.Decorator;
}

/** Application-wide configuration that decides what runs before each handler. */
interface AppConfig {
  /** `app.useGlobalGuards(…)` on an app made by `NestFactory.create`. */
  http: Map<Enhancer, HandlerEntry[]>;
  /** The same on an app made by `NestFactory.createMicroservice`. */
  microservice: Map<Enhancer, HandlerEntry[]>;
  /** `{ provide: APP_GUARD, useClass: … }` providers: global in every app. */
  providers: Map<Enhancer, HandlerEntry[]>;
  /** `GraphQLModule.forRoot({ fieldResolverEnhancers })`: guards and interceptors skip field resolvers unless listed. */
  fieldResolverEnhancers: Set<string>;
  routing: Routing;
}

/** Where the HTTP app serves routes: `app.setGlobalPrefix(prefix, { exclude })`, `app.enableVersioning({ type: VersioningType.URI, … })`. */
interface Routing {
  prefix: string;
  /** Routes served without the global prefix; `method` undefined for every method. */
  exclude: { pattern: RegExp; method: string | undefined }[];
  /** URI versioning: the segment's prefix (`v` unless given) and the versions of routes that state none (`defaultVersion`). */
  uri?: { prefix: string; defaultVersions: Version[] | undefined };
}

/** A version as Nest writes it in the URI; null for VERSION_NEUTRAL (no version segment). */
type Version = string | null;

/** The app a handler runs in (their global enhancers differ); GraphQL field resolvers run in the HTTP app with fewer enhancers. */
type HandlerKind = "http" | "microservice" | "graphql-field";

export const nestjs: HandlerFinder = {
  framework: "nestjs",
  title: "NestJS",
  modules: MODULES,
  describe:
    "Decorators imported from @nestjs/*: `@Get/@Post/…` methods of `@Controller(prefix)` classes named `METHOD /prefix/path`; " +
    "`@Query/@Mutation/@Subscription/@ResolveField` methods of `@Resolver` classes and `@MessagePattern/@EventPattern` methods of controllers named `Class.method`; " +
    "`@Cron(expr)`, `@Interval(ms)`, `@Timeout(ms)` named `cron <expr>`, `interval <ms>`, `timeout <ms>` (`Class.method` when not constant); " +
    "`@Processor(queue)` classes (@nestjs/bullmq) named `bullmq <queue>`, running `process`; with @nestjs/bull (Bull v3), each `@Process(name?)` method of a `@Processor(queue)` class, named `bull <queue>/<job>` (`bull <queue>` for `@Process()`). " +
    "Route names carry the HTTP app's global prefix (`setGlobalPrefix`, its `exclude` list honoured) and, with URI versioning (`enableVersioning({ type: VersioningType.URI })`), " +
    "the `v<version>` segment of the method's `@Version`, else the controller's `version`, else `defaultVersion`, one handler per version. " +
    "Guards, interceptors and pipes (global, class, method, parameter) run before the handler, in Nest's order.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const config = appConfig(context);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const cls of scan.classes) {
        const classApplied = appliedOn(resolver, cls);
        const controller = classApplied.find((a) => a.module === COMMON && a.name === "Controller");
        const graphqlResolver = classApplied.find((a) => a.module === GRAPHQL && a.name === "Resolver");
        const processor = classApplied.find((a) => a.module === BULLMQ && a.name === "Processor");
        const bullProcessor = classApplied.find((a) => a.module === BULL && a.name === "Processor");

        if (processor) {
          const units = memberUnits(resolver, cls, "process", 0);
          const queue = processorQueue(resolver, processor.args[0]);
          if (units.length > 0) out.push({ name: `bullmq ${queue ?? "*"}`, framework: "nestjs", node: processor.decorator, entries: [{ units }], job: true });
        }

        for (const member of cls.members) {
          if (!ts.isMethodDeclaration(member)) continue;
          const unit = index.unitOf(member);
          if (!unit) continue;
          const methodApplied = appliedOn(resolver, member);
          const requestEntries = (kind: HandlerKind): HandlerEntry[] => [
            ...ENHANCERS.filter((enhancer) => kind !== "graphql-field" || enhancer.field === undefined || config.fieldResolverEnhancers.has(enhancer.field)).flatMap((enhancer) => [
              ...((kind === "microservice" ? config.microservice : config.http).get(enhancer) ?? []),
              ...(config.providers.get(enhancer) ?? []),
              ...enhancerEntries(resolver, classApplied, enhancer),
              ...enhancerEntries(resolver, methodApplied, enhancer),
            ]),
            ...parameterPipes(resolver, member),
            { units: [unit] },
          ];

          for (const applied of methodApplied) {
            if (controller && applied.module === COMMON && HTTP_METHODS.has(applied.name)) {
              const method = applied.name.toUpperCase();
              const versions = versionsOf(resolver, methodApplied, controller, config.routing);
              for (const prefix of controllerPrefixes(resolver, controller)) {
                for (const path of pathsOf(resolver, applied.args[0])) {
                  for (const route of servedPaths(config.routing, method, joinRoute(prefix, path), versions)) {
                    out.push({ name: `${method} ${route}`, framework: "nestjs", node: applied.decorator, entries: requestEntries("http") });
                  }
                }
              }
            } else if (graphqlResolver && applied.module === GRAPHQL && GRAPHQL_OPERATIONS.has(applied.name)) {
              const field = applied.name === "ResolveField" || applied.name === "ResolveReference";
              out.push({ name: unit.name, framework: "nestjs", node: applied.decorator, entries: requestEntries(field ? "graphql-field" : "http") });
            } else if (controller && applied.module === MICROSERVICES && PATTERNS.has(applied.name)) {
              out.push({ name: unit.name, framework: "nestjs", node: applied.decorator, entries: requestEntries("microservice") });
            } else if (bullProcessor && applied.module === BULL && applied.name === "Process") {
              // `@Process("send")`, `@Process({ name: "send", concurrency: 2 })`; a nameless `@Process()` takes the queue's unnamed jobs.
              const queue = processorQueue(resolver, bullProcessor.args[0]) ?? "*";
              const job = applied.args[0] === undefined ? undefined : processorQueue(resolver, applied.args[0]) ?? "*";
              out.push({ name: `bull ${queue}${job === undefined ? "" : "/" + job}`, framework: "nestjs", node: applied.decorator, entries: [{ units: [unit] }], job: true });
            } else if (applied.module === SCHEDULE && SCHEDULES.has(applied.name)) {
              out.push({ name: scheduleName(resolver, applied, unit), framework: "nestjs", node: applied.decorator, entries: [{ units: [unit] }], job: true });
            }
          }
        }
      }
    }
    return out;
  },
};

/** Nest decorators on a class or method, with project decorators built by `applyDecorators(…)` expanded. */
function appliedOn(resolver: Resolver, node: ts.HasDecorators): Applied[] {
  return (ts.getDecorators(node) ?? []).flatMap((decorator) => expand(resolver, decorator.expression, decorator, 0));
}

function expand(resolver: Resolver, expression: ts.Expression, decorator: ts.Decorator, depth: number): Applied[] {
  const expr = skipOuterExpressions(expression);
  const callee = ts.isCallExpression(expr) ? expr.expression : expr;
  const args = ts.isCallExpression(expr) ? expr.arguments : [];
  const origin = nestExport(resolver, callee);
  if (origin) {
    if (origin.module === COMMON && origin.name === "applyDecorators") return args.flatMap((a) => expand(resolver, a, decorator, depth + 1));
    return [{ ...origin, args, decorator }];
  }
  if (!ts.isCallExpression(expr) || depth >= 3) return [];
  return resolver.functionTargets(expr.expression).flatMap((unit) => returnedExpressions(unit.node).flatMap((r) => expand(resolver, r, decorator, depth + 1)));
}

/** The @nestjs/* export an expression names (`Get`, a renamed import of it, `nest.Get`), or undefined. */
function nestExport(resolver: Resolver, expression: ts.Expression): { module: string; name: string } | undefined {
  const expr = skipOuterExpressions(expression);
  const binding = ts.isIdentifier(expr) ? resolver.importOf(expr) : undefined;
  const origins = binding ? [binding] : resolver.origins(expr).filter((o) => o.form === "value");
  for (const origin of origins) {
    const module = MODULES.find((m) => origin.module === m || origin.module.startsWith(m + "/"));
    if (module) return { module, name: origin.path };
  }
  return undefined;
}

/** The unit of a method a class declares or inherits from a project base class. */
function memberUnits(resolver: Resolver, cls: ts.ClassLikeDeclaration, name: string, depth: number): FunctionUnit[] {
  for (const member of cls.members) {
    if ((ts.isMethodDeclaration(member) || ts.isPropertyDeclaration(member)) && propertyNameText(member.name) === name) {
      const unit = resolver.index.unitOf(member);
      return unit ? [unit] : [];
    }
  }
  if (depth >= 5) return [];
  for (const clause of cls.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
    for (const type of clause.types) {
      for (const base of resolver.declarationsOf(type.expression).filter(ts.isClassLike)) {
        const units = memberUnits(resolver, base, name, depth + 1);
        if (units.length > 0) return units;
      }
    }
  }
  return [];
}

/** What an enhancer reference runs per request: `AuthGuard` or `new RolesGuard(…)` → its `canActivate` (never the constructor, which runs once). */
function enhancerEntry(resolver: Resolver, expression: ts.Expression, method: string): HandlerEntry {
  const expr = skipOuterExpressions(expression);
  const target = ts.isNewExpression(expr) ? expr.expression : expr;
  const classes = ts.isIdentifier(target) || ts.isPropertyAccessExpression(target) ? resolver.declarationsOf(target).filter(ts.isClassLike) : [];
  return { expression, units: classes.flatMap((cls) => memberUnits(resolver, cls, method, 0)) };
}

function enhancerEntries(resolver: Resolver, applied: Applied[], enhancer: Enhancer): HandlerEntry[] {
  return applied
    .filter((a) => a.module === COMMON && a.name === enhancer.decorator)
    .flatMap((a) => a.args.map((arg) => ({ ...enhancerEntry(resolver, arg, enhancer.method), boundAt: a.decorator })))
    .filter((e) => e.units.length > 0);
}

/** Pipes given to parameter decorators: `@Param("id", ParseOrderIdPipe)`, `@Body(new ValidationPipe())`. */
function parameterPipes(resolver: Resolver, method: ts.MethodDeclaration): HandlerEntry[] {
  return method.parameters.flatMap((parameter) =>
    appliedOn(resolver, parameter).flatMap((a) =>
      a.args
        .filter((arg) => !ts.isStringLiteralLike(skipOuterExpressions(arg)))
        .map((arg) => enhancerEntry(resolver, arg, "transform"))
        .filter((e) => e.units.length > 0),
    ),
  );
}

function appConfig(context: FinderContext): AppConfig {
  const { index, resolver } = context;
  const config: AppConfig = { http: new Map(), microservice: new Map(), providers: new Map(), fieldResolverEnhancers: new Set(), routing: { prefix: "", exclude: [] } };
  const add = (map: Map<Enhancer, HandlerEntry[]>, enhancer: Enhancer, entry: HandlerEntry): void => {
    if (entry.units.length > 0) map.set(enhancer, [...(map.get(enhancer) ?? []), entry]);
  };
  for (const scan of index.files) {
    // app.useGlobalGuards(new AuthGuard()) on an app made by NestFactory.create / createMicroservice.
    for (const { node: call } of scan.calls) {
      if (!ts.isCallExpression(call)) continue;
      const callee = skipOuterExpressions(call.expression);
      if (!ts.isPropertyAccessExpression(callee)) continue;
      if (callee.name.text === "forRoot" || callee.name.text === "forRootAsync") {
        const graphql = nestExport(resolver, callee);
        if (graphql?.module === GRAPHQL && graphql.name.startsWith("GraphQLModule.")) {
          for (const name of fieldResolverEnhancers(call)) config.fieldResolverEnhancers.add(name);
        }
        continue;
      }
      const routingOption = callee.name.text === "setGlobalPrefix" || callee.name.text === "enableVersioning";
      const enhancer = ENHANCERS.find((e) => e.global === callee.name.text);
      if (!enhancer && !routingOption) continue;
      const app = resolver.origins(callee.expression).find((o) => o.module === CORE && o.path.startsWith("NestFactory."));
      if (!app) continue;
      if (routingOption) {
        if (app.path !== "NestFactory.createMicroservice") readRouting(resolver, call, callee.name.text, config.routing);
        continue;
      }
      if (!enhancer) continue;
      const map = app.path === "NestFactory.createMicroservice" ? config.microservice : config.http;
      for (const arg of call.arguments) add(map, enhancer, enhancerEntry(resolver, arg, enhancer.method));
    }
    // { provide: APP_GUARD, useClass: ThrottleGuard } in a @Module's providers.
    for (const cls of scan.classes) {
      const module = appliedOn(resolver, cls).find((a) => a.module === COMMON && a.name === "Module");
      if (!module) continue;
      const visit = (node: ts.Node): void => {
        if (ts.isObjectLiteralExpression(node)) {
          const provide = propertyValue(node, "provide");
          const token = provide && nestExport(resolver, provide);
          const enhancer = token?.module === CORE ? ENHANCERS.find((e) => e.token === token.name) : undefined;
          const implementation = propertyValue(node, "useClass") ?? propertyValue(node, "useExisting") ?? propertyValue(node, "useValue");
          if (enhancer && implementation) add(config.providers, enhancer, enhancerEntry(resolver, implementation, enhancer.method));
        }
        ts.forEachChild(node, visit);
      };
      for (const arg of module.args) visit(arg);
    }
  }
  return config;
}

/** `app.setGlobalPrefix("api", { exclude: ["health", { path: "status", method: RequestMethod.GET }] })`, `app.enableVersioning({ type: VersioningType.URI, prefix, defaultVersion })`. */
function readRouting(resolver: Resolver, call: ts.CallExpression, method: string, routing: Routing): void {
  const [first, second] = call.arguments;
  const options = second ?? first;
  const object = options && skipOuterExpressions(options);
  const option = (name: string): ts.Expression | undefined => (object && ts.isObjectLiteralExpression(object) ? propertyValue(object, name) : undefined);
  if (method === "setGlobalPrefix") {
    routing.prefix = routePath(resolver, first);
    const exclude = option("exclude");
    const list = exclude && skipOuterExpressions(exclude);
    if (!second || !list || !ts.isArrayLiteralExpression(list)) return;
    for (const element of list.elements) {
      const entry = skipOuterExpressions(element);
      if (ts.isObjectLiteralExpression(entry)) {
        const method = propertyValue(entry, "method");
        const name = method && skipOuterExpressions(method);
        routing.exclude.push({ pattern: routePattern(routePath(resolver, propertyValue(entry, "path"))), method: name && ts.isPropertyAccessExpression(name) ? name.name.text : undefined });
      } else {
        routing.exclude.push({ pattern: routePattern(routePath(resolver, entry)), method: undefined });
      }
    }
    return;
  }
  const type = option("type");
  const typeExpr = type && skipOuterExpressions(type);
  if (!typeExpr || !ts.isPropertyAccessExpression(typeExpr) || typeExpr.name.text !== "URI") return;
  const prefix = option("prefix");
  const prefixExpr = prefix && skipOuterExpressions(prefix);
  const defaultVersion = option("defaultVersion");
  routing.uri = {
    prefix: !prefixExpr ? "v" : prefixExpr.kind === ts.SyntaxKind.FalseKeyword ? "" : routePath(resolver, prefixExpr),
    defaultVersions: defaultVersion ? versionValues(resolver, defaultVersion) : undefined,
  };
}

/** A path pattern as Nest's exclusion matches it (path-to-regexp): `:param` one segment, wildcards anything. */
function routePattern(path: string): RegExp {
  const body = joinRoute(path)
    .split("/")
    .map((segment) => (/^(\*|\{\*.*\}|\*\w+|\(\.\*\))$/.test(segment) ? ".*" : segment.startsWith(":") ? "[^/]+" : segment.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")))
    .join("/");
  return new RegExp(`^${body}/?$`, "i");
}

/** The URI versions of a route: the method's `@Version`, else the controller's `version`, else the app's `defaultVersion`; undefined when unversioned. */
function versionsOf(resolver: Resolver, methodApplied: Applied[], controller: Applied, routing: Routing): Version[] | undefined {
  if (!routing.uri) return undefined;
  const method = methodApplied.find((a) => a.module === COMMON && a.name === "Version");
  if (method?.args[0]) return versionValues(resolver, method.args[0]);
  const options = controller.args[0] && skipOuterExpressions(controller.args[0]);
  const version = options && ts.isObjectLiteralExpression(options) ? propertyValue(options, "version") : undefined;
  return version ? versionValues(resolver, version) : routing.uri.defaultVersions;
}

/** `"1"`, `["1", "2"]`, `VERSION_NEUTRAL`, a project constant; `*` when not computable. */
function versionValues(resolver: Resolver, expression: ts.Expression): Version[] {
  const expr = skipOuterExpressions(expression);
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.flatMap((e) => versionValues(resolver, e));
  if (nestExport(resolver, expr)?.name === "VERSION_NEUTRAL") return [null];
  const value = constantValue(resolver, expr, 0);
  return [value === undefined ? "*" : String(value)];
}

/** The paths a route is served at: per version segment, under the global prefix unless excluded from it. */
function servedPaths(routing: Routing, method: string, path: string, versions: Version[] | undefined): string[] {
  const excluded = routing.exclude.some((e) => (e.method === undefined || e.method === "ALL" || e.method === method) && e.pattern.test(path));
  const prefix = excluded ? "" : routing.prefix;
  const segments = routing.uri && versions ? versions.map((v) => (v === null ? "" : `${routing.uri!.prefix}${v}`)) : [""];
  return [...new Set(segments.map((segment) => joinRoute(prefix, segment, path)))];
}

/** The names listed in a `fieldResolverEnhancers: ["guards", …]` option anywhere in a GraphQLModule.forRoot(…) call. */
function fieldResolverEnhancers(call: ts.CallExpression): string[] {
  const names: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && propertyNameText(node.name) === "fieldResolverEnhancers") {
      const list = skipOuterExpressions(node.initializer);
      if (ts.isArrayLiteralExpression(list)) for (const element of list.elements) if (ts.isStringLiteralLike(element)) names.push(element.text);
    }
    ts.forEachChild(node, visit);
  };
  for (const arg of call.arguments) visit(arg);
  return names;
}

function propertyValue(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const property of object.properties) {
    if (ts.isPropertyAssignment(property) && propertyNameText(property.name) === name) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property) && property.name.text === name) return property.name;
  }
  return undefined;
}

/** `@Controller()`, `@Controller("orders")`, `@Controller(["a", "b"])`, `@Controller({ path: "orders" })`. */
function controllerPrefixes(resolver: Resolver, controller: Applied): string[] {
  const arg = controller.args[0];
  if (!arg) return [""];
  const expr = skipOuterExpressions(arg);
  if (ts.isObjectLiteralExpression(expr)) return pathsOf(resolver, propertyValue(expr, "path"));
  return pathsOf(resolver, arg);
}

function pathsOf(resolver: Resolver, expression: ts.Expression | undefined): string[] {
  if (!expression) return [""];
  const expr = skipOuterExpressions(expression);
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.flatMap((e) => pathsOf(resolver, e));
  return [routePath(resolver, expr)];
}

/** `@Processor("emails")`, `@Processor({ name: "emails" })`, `@Processor(QUEUES.EMAILS)`. */
function processorQueue(resolver: Resolver, arg: ts.Expression | undefined): string | undefined {
  if (!arg) return undefined;
  let expr = skipOuterExpressions(arg);
  // `@Processor(QUEUE_OPTIONS)` with `const QUEUE_OPTIONS = { name: "statistics" }`.
  const declaration = ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr) ? resolver.declarationsOf(expr)[0] : undefined;
  const bound = declaration && ts.isVariableDeclaration(declaration) && declaration.initializer ? skipOuterExpressions(declaration.initializer) : undefined;
  if (bound && ts.isObjectLiteralExpression(bound)) expr = bound;
  const value = constantValue(resolver, ts.isObjectLiteralExpression(expr) ? propertyValue(expr, "name") : expr, 0);
  return value === undefined ? undefined : String(value);
}

/** `cron <expression>`, `interval 5000`, `timeout 1000`; the method's name when the schedule is not a constant. */
function scheduleName(resolver: Resolver, applied: Applied, unit: FunctionUnit): string {
  // Interval and Timeout take an optional job name first: `@Interval("outbox", 5000)`.
  const schedule = applied.name !== "Cron" && applied.args.length > 1 ? applied.args[1] : applied.args[0];
  const value = constantValue(resolver, schedule, 0);
  return value === undefined ? unit.name : `${applied.name.toLowerCase()} ${value}`;
}

/**
 * A value that is the same on every run: a literal, arithmetic on literals, or a project constant bound to one.
 * A library constant (`CronExpression.EVERY_MINUTE`) gives its member name, so runs with and without node_modules agree.
 */
function constantValue(resolver: Resolver, expression: ts.Expression | undefined, depth: number): string | number | undefined {
  if (!expression || depth > 5) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isStringLiteralLike(expr)) return expr.text;
  if (ts.isNumericLiteral(expr)) return Number(expr.text);
  if (ts.isBinaryExpression(expr)) {
    const left = constantValue(resolver, expr.left, depth + 1);
    const right = constantValue(resolver, expr.right, depth + 1);
    if (left === undefined || right === undefined) return undefined;
    if (expr.operatorToken.kind === ts.SyntaxKind.PlusToken) return typeof left === "number" && typeof right === "number" ? left + right : `${left}${right}`;
    if (typeof left !== "number" || typeof right !== "number") return undefined;
    if (expr.operatorToken.kind === ts.SyntaxKind.AsteriskToken) return left * right;
    if (expr.operatorToken.kind === ts.SyntaxKind.MinusToken) return left - right;
    return undefined;
  }
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return undefined;
  const declaration = resolver.declarationsOf(expr)[0];
  if (declaration && resolver.index.isAnalysed(declaration.getSourceFile().fileName)) {
    if (ts.isVariableDeclaration(declaration) && !(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const)) return undefined;
    if ((ts.isVariableDeclaration(declaration) || ts.isEnumMember(declaration) || ts.isPropertyAssignment(declaration) || ts.isPropertyDeclaration(declaration)) && declaration.initializer) {
      return constantValue(resolver, declaration.initializer, depth + 1);
    }
    return undefined;
  }
  const library = resolver.origins(expr).find((o) => o.form === "value" && MODULES.includes(o.module) && o.path.includes("."));
  return library ? library.path.slice(library.path.lastIndexOf(".") + 1) : undefined;
}
