// A project's own wrappers around coordination (withLock(key, fn), withTransaction(fn), middleware calling next()): their call sites are sites too.
import { ts } from "ts-morph";
import type { SiteKind } from "../model/report.js";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, positionOf, MODULE_FUNCTION, type CallNode, type FunctionUnit } from "../scan/units.js";
import type { DetectedSite } from "./detect.js";

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
export function addWrapperSites(index: CodeIndex, resolver: Resolver, primitives: DetectedSite[]): WrapperSites {
  const sites = [...primitives];
  const contained = new Map<number, Set<number>>();
  const done = new Set<string>();
  let callers: Map<number, { call: CallNode; unit: FunctionUnit | undefined }[]> | undefined;

  for (let i = 0; i < sites.length; i++) {
    const detected = sites[i]!;
    if (!SCOPED_KINDS.has(detected.site.kind) || detected.site.delivery || !detected.unit) continue;
    const runner = callbackRunner(detected.unit, resolver);
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
      sites.push({
        node: call,
        unit,
        rule: detected.rule,
        primitive: i,
        site: {
          kind: detected.site.kind,
          rule: detected.site.rule,
          api: wrapper.name,
          file: index.code.relative(call.getSourceFile().fileName),
          line: pos.line,
          column: pos.column,
          function: unit ? unit.name : MODULE_FUNCTION,
          ...(detected.site.isolation ? { isolation: detected.site.isolation } : {}),
          via,
        },
      });
    }
  }
  return { sites, contained };
}

/** The innermost function, from the site's outwards through the callbacks that enclose it, that runs a callback it was given. */
function callbackRunner(unit: FunctionUnit, resolver: Resolver): FunctionUnit | undefined {
  for (let current: FunctionUnit | undefined = unit; current; current = current.inline ? current.parent : undefined) {
    if (forwardsCallback(current, resolver)) return current;
  }
  return undefined;
}

/** Inline callbacks belong to the function that wrote them. */
function outermostInline(unit: FunctionUnit): FunctionUnit {
  let current = unit;
  while (current.inline && current.parent) current = current.parent;
  return current;
}

/** Whether a function runs (or hands on) a callback parameter: `fn()`, `next()`, `next.handle()`, `using(keys, ttl, fn)`. */
function forwardsCallback(unit: FunctionUnit, resolver: Resolver): boolean {
  const names = new Set(unit.node.parameters.map((p) => p.name).filter(ts.isIdentifier).map((n) => n.text));
  if (names.size === 0) return false;
  const callable = new Set(unit.node.parameters.filter((p) => isCallableParameter(p, resolver)).map((p) => (p.name as ts.Identifier).text));
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    // A decorator's `const original = descriptor.value` is the decorated method: calling it runs the callback.
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const init = skipOuterExpressions(node.initializer);
      if (ts.isPropertyAccessExpression(init) && ts.isIdentifier(init.expression) && names.has(init.expression.text) && init.name.text === "value") names.add(node.name.text);
    }
    if (isFunctionNode(node) && node !== unit.node && !(ts.isArrowFunction(node) || ts.isFunctionExpression(node))) return;
    if (ts.isCallExpression(node)) {
      const callee = skipOuterExpressions(node.expression);
      if (ts.isIdentifier(callee) && names.has(callee.text)) found = true;
      else if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && names.has(callee.expression.text) && ["handle", "call", "apply"].includes(callee.name.text)) found = true;
      else if (node.arguments.some((a) => ts.isIdentifier(a) && callable.has(a.text))) found = true;
    }
    ts.forEachChild(node, visit);
  };
  if (unit.node.body) visit(unit.node.body);
  return found;
}

/** A parameter whose type can be called: written as a function type, or so typed by the checker. */
function isCallableParameter(parameter: ts.ParameterDeclaration, resolver: Resolver): boolean {
  if (!ts.isIdentifier(parameter.name)) return false;
  if (parameter.type && ts.isFunctionTypeNode(parameter.type)) return true;
  const checker = resolver.checkerFor(parameter);
  if (!checker) return false;
  try {
    return checker.getTypeAtLocation(parameter).getCallSignatures().length > 0;
  } catch {
    return false;
  }
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
