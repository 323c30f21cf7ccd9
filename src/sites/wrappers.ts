// A project's own wrappers around coordination (withLock(key, fn), withTransaction(fn), middleware calling next()): their call sites are sites too.
import { ts } from "ts-morph";
import type { SiteKind } from "../model/report.js";
import type { HandlerCandidate } from "../handlers/finder.js";
import { nodeKey, skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { className, isFunctionNode, positionOf, propertyNameText, MODULE_FUNCTION, type CallNode, type FunctionUnit } from "../scan/units.js";
import type { DetectedSite } from "./detect.js";
import { renderResource, type ResourceSource } from "./resource.js";

/** Kinds a wrapper can hold its callback inside (a scope): fan-out and plain queries have no scope to run a callback in. */
const SCOPED_KINDS: ReadonlySet<SiteKind> = new Set<SiteKind>(["lock", "local-lock", "consensus", "transaction", "row-lock", "lease", "leader"]);

export interface WrapperSites {
  /** Primitive and wrapper-use sites, in detection order (indices are item ids). */
  sites: DetectedSite[];
  /** Per wrapper unit id: sites that stay inside it (its callers see the use site instead). */
  contained: Map<number, Set<number>>;
}

/**
 * A function that runs a coordination primitive and, inside that scope, a callback it was given is a
 * wrapper: each call of it becomes a site with the primitive's rule and kind, `api` the wrapper's name
 * and `via` the primitive's position. Wrappers of wrappers are found the same way, to a fixpoint.
 */
export function addWrapperSites(index: CodeIndex, resolver: Resolver, primitives: DetectedSite[], handlers: readonly HandlerCandidate[] = []): WrapperSites {
  const sites = [...primitives];
  const contained = new Map<number, Set<number>>();
  const done = new Set<string>();
  let callers: Map<number, { call: CallNode; unit: FunctionUnit | undefined }[]> | undefined;

  // Use sites of functions that leave a lock held: their result is the lock's handle.
  const holderUses = new Set<number>();
  for (let i = 0; i < sites.length; i++) {
    const detected = sites[i]!;
    if (!SCOPED_KINDS.has(detected.site.kind) || detected.site.delivery || !detected.unit) continue;
    const runsCallback = callbackRunner(detected.unit, resolver);
    const holder = runsCallback ? undefined : lockHolder(detected, holderUses.has(i));
    const runner = runsCallback ?? holder;
    if (!runner) continue;
    // What callers call: the named function that writes the runner (a middleware or decorator factory, or the runner itself).
    const wrapper = outermostInline(runner);
    const set = contained.get(wrapper.id) ?? new Set<number>();
    set.add(i);
    contained.set(wrapper.id, set);
    const key = `${wrapper.id}|${detected.site.rule}`;
    if (done.has(key)) continue;
    done.add(key);

    callers ??= indexCallers(index, resolver);
    const via = detected.site.via ?? { file: detected.site.file, line: detected.site.line, column: detected.site.column };
    for (const { call, unit } of callers.get(wrapper.id) ?? []) {
      const pos = positionOf(ts.isDecorator(call.parent) ? call.parent : calleeNameNode(call));
      const resourceSource = detected.resourceSource && bindArguments(detected.resourceSource, wrapper, call);
      if (holder) holderUses.add(sites.length);
      sites.push({
        node: call,
        unit,
        rule: detected.rule,
        primitive: i,
        ...(resourceSource ? { resourceSource } : {}),
        site: {
          kind: detected.site.kind,
          rule: detected.site.rule,
          api: wrapper.name,
          file: index.code.relative(call.getSourceFile().fileName),
          line: pos.line,
          column: pos.column,
          function: unit ? unit.name : MODULE_FUNCTION,
          ...(resourceSource ? { resource: renderResource(resourceSource, resolver) } : {}),
          ...(detected.site.isolation ? { isolation: detected.site.isolation } : {}),
          via,
        },
      });
    }
  }
  addEntryUseSites(index, handlers, sites, contained);
  return { sites, contained };
}

/**
 * A wrapper named in a handler's middleware, guard or interceptor list (`router.post("/", inTransaction, h)`,
 * `@UseInterceptors(TransactionInterceptor)`) is used there: the reference is the use site, at the decorator's `@`
 * when it is written in one. The handler function itself (the last entry) is never a use site.
 */
function addEntryUseSites(index: CodeIndex, handlers: readonly HandlerCandidate[], sites: DetectedSite[], contained: Map<number, Set<number>>): void {
  const existing = new Set(sites.filter((d) => d.primitive !== undefined).map((d) => `${nodeKey(d.node)}|${d.site.rule}`));
  for (const handler of handlers) {
    for (const entry of handler.entries.slice(0, -1)) {
      const bound = entry.boundAt ?? (entry.expression && skipOuterExpressions(entry.expression));
      if (!bound || isFunctionNode(bound)) continue;
      for (const unit of entry.units) {
        const wrapper = outermostInline(unit);
        for (const primitive of contained.get(wrapper.id) ?? []) {
          const detected = sites[primitive]!;
          const key = `${nodeKey(bound)}|${detected.site.rule}`;
          if (existing.has(key)) continue;
          existing.add(key);
          const decorator = ts.isDecorator(bound) ? bound : ts.findAncestor(bound, ts.isDecorator);
          const at = decorator ?? bound;
          const pos = positionOf(at);
          const enclosing = index.unitOf(ts.findAncestor(bound.parent, isFunctionNode) ?? bound);
          sites.push({
            node: bound,
            unit: decorator ? undefined : enclosing,
            rule: detected.rule,
            primitive,
            ...(detected.resourceSource ? { resourceSource: detected.resourceSource } : {}),
            site: {
              kind: detected.site.kind,
              rule: detected.site.rule,
              api: wrapper.name,
              file: index.code.relative(at.getSourceFile().fileName),
              line: pos.line,
              column: pos.column,
              function: decorator ? decoratedName(decorator) : enclosing ? enclosing.name : MODULE_FUNCTION,
              ...(detected.site.resource ? { resource: detected.site.resource } : {}),
              ...(detected.site.isolation ? { isolation: detected.site.isolation } : {}),
              via: detected.site.via ?? { file: detected.site.file, line: detected.site.line, column: detected.site.column },
            },
          });
        }
      }
    }
  }
}

/** `OrdersController.create` for a method decorator, `OrdersController` for a class decorator. */
function decoratedName(decorator: ts.Decorator): string {
  const target = decorator.parent;
  if (ts.isClassLike(target)) return className(target);
  if (ts.isMethodDeclaration(target) && ts.isClassLike(target.parent)) return `${className(target.parent)}.${propertyNameText(target.name)}`;
  return MODULE_FUNCTION;
}

/**
 * The function that takes a lock and leaves it held, for its callers to release (`const lease = await locks.acquire(key)`
 * … `lease.release()`): a lock held as its key with a release or renewal site outside the function's own body
 * (another method or function of its scope, a closure it returns), or a lock handle (or the result of such a
 * function) that the function returns or stores in a field without calling anything on it.
 */
function lockHolder(detected: DetectedSite, holderUse: boolean): FunctionUnit | undefined {
  if ((detected.site.kind !== "lock" && detected.site.kind !== "local-lock") || !detected.unit) return undefined;
  const holder = outermostInline(detected.unit);
  const held = holderUse ? "handle" : detected.primitive === undefined ? detected.rule.held : undefined;
  if (held === "key") {
    // An EXPIRE beside the SETNX belongs to taking the lock; a release elsewhere leaves it held on return.
    return (detected.releasedIn ?? []).some((unit) => unit !== holder) ? holder : undefined;
  }
  return held === "handle" && handleEscapes(detected.node, holder) ? holder : undefined;
}

/** The call's result leaves the function unreleased: returned or stored in a field, directly or through a local nothing in the function's own body calls or hands on. */
function handleEscapes(call: ts.Node, holder: FunctionUnit): boolean {
  if (ts.findAncestor(call.parent, isFunctionNode) !== holder.node) return false;
  let node: ts.Node = call;
  while (ts.isAwaitExpression(node.parent) || ts.isParenthesizedExpression(node.parent) || ts.isAsExpression(node.parent) || ts.isNonNullExpression(node.parent)) node = node.parent;
  const parent = node.parent;
  if (ts.isReturnStatement(parent) || (ts.isArrowFunction(parent) && parent.body === node) || storedInField(parent, node)) return true;
  if (!ts.isVariableDeclaration(parent) || !ts.isIdentifier(parent.name) || !holder.node.body) return false;
  const name = parent.name.text;
  let escapes = false;
  let used = false;
  const visit = (child: ts.Node): void => {
    if (isFunctionNode(child)) return;
    // What is returned or stored (a handle object, a closure releasing it) is the caller's to use.
    if ((ts.isReturnStatement(child) && child.expression) || (ts.isBinaryExpression(child) && storedInField(child, child.right))) {
      if (mentions(ts.isReturnStatement(child) ? child.expression! : (child as ts.BinaryExpression).right, name)) escapes = true;
      return;
    }
    if (ts.isCallExpression(child)) {
      const callee = skipOuterExpressions(child.expression);
      const receiver = ts.isPropertyAccessExpression(callee) ? skipOuterExpressions(callee.expression) : callee;
      if ((ts.isIdentifier(receiver) && receiver.text === name) || child.arguments.some((a) => ts.isIdentifier(a) && a.text === name)) used = true;
    }
    ts.forEachChild(child, visit);
  };
  ts.forEachChild(holder.node.body, visit);
  return escapes && !used;
}

function storedInField(node: ts.Node, value: ts.Node): boolean {
  return ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && node.right === value && ts.isPropertyAccessExpression(node.left) && node.left.expression.kind === ts.SyntaxKind.ThisKeyword;
}

function mentions(node: ts.Node, name: string): boolean {
  if (ts.isIdentifier(node)) return node.text === name;
  return ts.forEachChild(node, (child) => (mentions(child, name) ? true : undefined)) ?? false;
}

/** The innermost function, from the site's outwards through the callbacks that enclose it, that runs a callback it was given. */
function callbackRunner(unit: FunctionUnit, resolver: Resolver): FunctionUnit | undefined {
  for (let current: FunctionUnit | undefined = unit; current; current = current.inline ? current.parent : undefined) {
    if (!isPromiseExecutor(current.node) && forwardsCallback(current, resolver)) return current;
  }
  return undefined;
}

/** `new Promise((resolve, reject) => …)`: the executor's parameters settle the promise, they are no callback a caller gave (a promisified callback API). */
function isPromiseExecutor(node: ts.Node): boolean {
  const parent = node.parent;
  return ts.isNewExpression(parent) && parent.arguments?.[0] === node && ts.isIdentifier(parent.expression) && parent.expression.text === "Promise";
}

/** The wrapper's parameters bound to what this call passes (`withLock(\`order:${id}\`, fn)`: `key` → `` `order:${id}` ``). */
function bindArguments(source: ResourceSource, wrapper: FunctionUnit, call: CallNode): ResourceSource {
  const args = ts.isTaggedTemplateExpression(call) ? [] : call.arguments ?? [];
  const bindings = new Map(source.bindings);
  wrapper.node.parameters.forEach((parameter, k) => {
    const arg = args[k];
    if (arg && !parameter.dotDotDotToken) bindings.set(parameter, arg);
  });
  return { node: source.node, bindings };
}

/** Inline callbacks belong to the function that wrote them. */
function outermostInline(unit: FunctionUnit): FunctionUnit {
  let current = unit;
  while (current.inline && current.parent) current = current.parent;
  return current;
}

/** Whether a function runs (or hands on) a callback parameter: `fn()`, `next()`, `next.handle()`, `fn.call(…)`, `using(keys, ttl, fn)`. */
function forwardsCallback(unit: FunctionUnit, resolver: Resolver): boolean {
  const parameters = unit.node.parameters.filter((p): p is ts.ParameterDeclaration & { name: ts.Identifier } => ts.isIdentifier(p.name));
  const names = new Set(parameters.map((p) => p.name.text));
  const callbacks = new Set(parameters.filter((p) => isCallbackParameter(p, resolver)).map((p) => p.name.text));
  if (names.size === 0) return false;
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    // A decorator's `const original = descriptor.value` is the decorated method: calling it runs the callback.
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const init = skipOuterExpressions(node.initializer);
      if (ts.isPropertyAccessExpression(init) && ts.isIdentifier(init.expression) && names.has(init.expression.text) && init.name.text === "value") callbacks.add(node.name.text);
    }
    if (isFunctionNode(node) && node !== unit.node && !(ts.isArrowFunction(node) || ts.isFunctionExpression(node))) return;
    if (ts.isCallExpression(node)) {
      const callee = skipOuterExpressions(node.expression);
      if (ts.isIdentifier(callee) && callbacks.has(callee.text)) found = true;
      else if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
        const receiver = callee.expression.text;
        if (callbacks.has(receiver) && (callee.name.text === "call" || callee.name.text === "apply")) found = true;
        // Nest's interceptor: `next.handle()` runs the route handler.
        if (callee.name.text === "handle" && names.has(receiver) && isCallHandler(parameters.find((p) => p.name.text === receiver)!)) found = true;
      }
      if (!found && node.arguments.some((a) => ts.isIdentifier(a) && callbacks.has(a.text))) found = true;
    }
    ts.forEachChild(node, visit);
  };
  if (unit.node.body) visit(unit.node.body);
  return found;
}

/** Names a callback parameter goes by when no type says so (an untyped run, a parameter typed by an unresolved library). */
const CALLBACK_NAME = /^(fn|func|callback|cb|work|task|job|next|handler|routine|action|operation|op|body|thunk|run|exec)$|(Fn|Func|Callback|Handler|Work|Task)$/;

/**
 * A parameter that is a callback to run: a function type, or a type that is only a call signature (not a callable
 * object such as a knex transaction, which is called to build queries); with no usable type, its name decides.
 */
function isCallbackParameter(parameter: ts.ParameterDeclaration & { name: ts.Identifier }, resolver: Resolver): boolean {
  if (parameter.type && ts.isFunctionTypeNode(parameter.type)) return true;
  const type = resolver.typeAt(parameter);
  if (type) return type.getCallSignatures().length > 0 && type.getProperties().length === 0;
  return CALLBACK_NAME.test(parameter.name.text);
}

/** Nest's `CallHandler` (or, with no types, a parameter named `next`). */
function isCallHandler(parameter: ts.ParameterDeclaration & { name: ts.Identifier }): boolean {
  const type = parameter.type;
  if (type && ts.isTypeReferenceNode(type)) return (ts.isIdentifier(type.typeName) ? type.typeName.text : type.typeName.right.text) === "CallHandler";
  return parameter.name.text === "next";
}

function indexCallers(index: CodeIndex, resolver: Resolver): Map<number, { call: CallNode; unit: FunctionUnit | undefined }[]> {
  const callers = new Map<number, { call: CallNode; unit: FunctionUnit | undefined }[]>();
  for (const scan of index.files) {
    for (const { node, unit } of scan.calls) {
      if (ts.isTaggedTemplateExpression(node)) continue;
      for (const target of resolver.functionTargets(node.expression)) {
        if (target === unit) continue;
        const list = callers.get(target.id) ?? [];
        list.push({ call: node, unit });
        callers.set(target.id, list);
      }
    }
  }
  return callers;
}

function calleeNameNode(call: CallNode): ts.Node {
  const callee = skipOuterExpressions(ts.isTaggedTemplateExpression(call) ? call.tag : call.expression);
  return ts.isPropertyAccessExpression(callee) ? callee.name : callee;
}
