// CALM: hold each handler's state operations against the coordination guarding them: its verdict, the races (unguarded check-then-acts), needless locks and transactions, HAT-unavailable isolation, fan-out, and hot spots.
import type { ts } from "ts-morph";
import type { CallGraph } from "../calls/summaries.js";
import { compareLocations, type CalmVerdict, type Finding } from "../model/report.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { FunctionUnit } from "../scan/units.js";
import type { DetectedOperation } from "../sites/operations.js";
import type { CheckThenAct } from "./decisions.js";
import { needlessMiddleware, needlessScopes, raceFinding, siteFindings } from "./findings.js";
import { hotspotsOf } from "./hotspots.js";
import { GUARD, guardLevelOf, guardScopes, levelAt, type GuardLevel, type GuardScope } from "./scopes.js";
import { makeView, reachLevels, type CalmInput, type CalmResult, type CalmView } from "./view.js";

/** A lock or transaction middleware and what the handlers it wraps run. */
interface WrappedHandlers {
  handlers: string[];
  operations: Set<number>;
  /** Some handler behind it runs non-monotonic logic or a call nobody could resolve. */
  needed: boolean;
}

const GUARDING = new Set(["lock", "local-lock", "consensus", "transaction"]);

/** A race judged on the weakest path that reaches it. */
interface Judged {
  decision: CheckThenAct;
  handlers: Set<string>;
  unguarded: boolean;
  /** The weakest guard it ran under where it was not enough. */
  level: GuardLevel;
}

export function analyseCalm(input: CalmInput): CalmResult {
  const { sites, operations, handlers, found } = input;
  const scopes = guardScopes(sites);
  const opsByNode = new Map<ts.Node, number[]>();
  operations.forEach((o, i) => opsByNode.set(o.node, [...(opsByNode.get(o.node) ?? []), i]));
  const ownOps = new Map<number | undefined, number[]>();
  operations.forEach((o, i) => ownOps.set(o.unit?.id, [...(ownOps.get(o.unit?.id) ?? []), i]));
  const views = new WeakMap<CallGraph, CalmView>();
  const viewOf = (graph: CallGraph): CalmView => {
    let view = views.get(graph);
    if (!view) {
      view = makeView(graph, input, opsByNode);
      views.set(graph, view);
    }
    return view;
  };
  const base = viewOf(input.graph);

  // Middleware wrappers written in a handler's list (`transaction()`) guard everything the handler runs.
  const useSitesAt = new Map<ts.Node, number[]>();
  sites.forEach((d, i) => {
    if (d.primitive !== undefined) useSitesAt.set(d.node, [...(useSitesAt.get(d.node) ?? []), i]);
  });

  // An "if absent, create" whose read looks the row up by a unique key cannot duplicate it: the database refuses the second insert.
  const constrained = (decision: CheckThenAct): boolean =>
    decision.shape === "absence" &&
    decision.readOps.some((r) => {
      const where = operations[r]!.where ?? [];
      // Prisma names a compound key's input after its fields (`teamID_userUid: { teamID, userUid }`).
      return input.uniqueKeys.some((key) => key.entity === decision.entity && (key.fields.every((f) => where.includes(f)) || where.includes(key.fields.join("_"))));
    });
  const races = new Map<CheckThenAct, Judged>();
  const wrapped = new Map<number, WrappedHandlers>();
  // Where calls nobody could resolve are, by unit (positions): a scope or middleware holding one may be needed.
  const unresolvedIn = new Map<number | undefined, number[]>();
  for (let item = input.graph.firstUnresolved; item < input.graph.items.length; item++) {
    const unit = input.graph.items[item]!.unit?.id;
    unresolvedIn.set(unit, [...(unresolvedIn.get(unit) ?? []), input.graph.items[item]!.pos]);
  }
  // A primitive inside a project wrapper is reported at the wrapper's uses.
  const wrappedPrimitives = new Set(sites.flatMap((d) => (d.primitive !== undefined ? [d.primitive] : [])));
  const judge = (decision: CheckThenAct, level: GuardLevel, handler: string | undefined): boolean => {
    const effective = effectiveLevel(decision, level, scopes.get(decision.unit.id));
    const guarded = decision.atomic || constrained(decision) || effective >= requiredLevel(decision, operations);
    let judged = races.get(decision);
    if (!judged) races.set(decision, (judged = { decision, handlers: new Set(), unguarded: false, level: GUARD.lock }));
    if (!guarded) {
      judged.unguarded = true;
      judged.level = Math.min(judged.level, effective) as GuardLevel;
      if (handler) judged.handlers.add(handler);
    }
    return guarded;
  };

  found.forEach((candidate, i) => {
    const handler = handlers[i]!;
    const view = candidate.callTargets ? viewOf(input.graph.withTargets(candidate.callTargets)) : base;
    let start: GuardLevel = GUARD.none;
    const middleware: number[] = [];
    for (const entry of candidate.entries) {
      const at = entry.boundAt ?? (entry.expression && skipOuterExpressions(entry.expression));
      for (const s of (at && useSitesAt.get(at)) ?? []) {
        if (!GUARDING.has(sites[s]!.site.kind)) continue;
        middleware.push(s);
        start = Math.max(start, guardLevelOf(sites[s]!.site, sites[s]!.rule.optimistic === true)) as GuardLevel;
      }
    }
    const levels = reachLevels(view.graph, candidate.entries.flatMap((e) => e.units), start, scopes);
    let verdict: CalmVerdict = "monotonic";
    const reached: number[] = [];
    // A call nobody could resolve, or a read deciding a write of another entity, may be what the middleware is for.
    let unresolved = false;
    for (const [unitId, { unit, level }] of levels) {
      for (const op of ownOps.get(unitId) ?? []) {
        reached.push(op);
        if (!operations[op]!.operation.monotonic && verdict === "monotonic") verdict = "non-monotonic-guarded";
      }
      if (unresolvedIn.has(unitId) || view.decidesWrite(unit)) unresolved = true;
      for (const decision of view.decisions(unit)) {
        if (verdict === "monotonic") verdict = "non-monotonic-guarded";
        if (!judge(decision, level, handler.id)) verdict = "non-monotonic-unguarded";
      }
    }
    handler.calm = verdict;
    // A lock or transaction middleware buys nothing when every handler it wraps runs only monotonic operations.
    for (const s of middleware) {
      let scope = wrapped.get(s);
      if (!scope) wrapped.set(s, (scope = { handlers: [], operations: new Set(), needed: false }));
      scope.handlers.push(handler.id);
      for (const op of reached) scope.operations.add(op);
      if (verdict !== "monotonic" || unresolved) scope.needed = true;
    }
  });

  // Races no handler reaches are reported where the code is (SPECTRUM.md §2), judged from the functions nobody calls.
  const roots = rootUnits(input.index.units, input.graph);
  for (const [, { unit, level }] of reachLevels(input.graph, roots, GUARD.none, scopes)) {
    for (const decision of base.decisions(unit)) if (!races.has(decision)) judge(decision, level, undefined);
  }
  for (const unit of input.index.units) {
    for (const decision of base.decisions(unit)) if (!races.has(decision)) judge(decision, GUARD.none, undefined);
  }

  const findings: Finding[] = [];
  const byWrite = new Map<ts.Node, Judged[]>();
  for (const judged of races.values()) if (judged.unguarded) byWrite.set(judged.decision.write, [...(byWrite.get(judged.decision.write) ?? []), judged]);
  // An anonymous function registered as a handler is named after it, as in evidence paths.
  const handlerNamed = new Map<number, string>();
  found.forEach((candidate) => {
    for (const unit of candidate.entries.flatMap((e) => e.units)) if (unit.name === "<anonymous>" && !handlerNamed.has(unit.id)) handlerNamed.set(unit.id, candidate.name);
  });
  const nameOf = (unit: FunctionUnit): string => handlerNamed.get(unit.id) ?? unit.name;
  for (const group of byWrite.values()) findings.push(raceFinding(group.map((g) => ({ decision: g.decision, handlers: [...g.handlers], level: g.level })), operations, input.relative, nameOf));
  findings.push(...needlessScopes(input, base, { scopes, ownOps, unresolvedIn, wrappedPrimitives }, nameOf));
  for (const [site, scope] of wrapped) {
    const finding = !scope.needed && needlessMiddleware(sites[site]!, scope.handlers, [...scope.operations], operations);
    if (finding) findings.push(finding);
  }
  findings.push(...siteFindings(input, wrappedPrimitives, nameOf));
  findings.sort((a, b) => compareLocations({ ...a, name: a.rule }, { ...b, name: b.rule }));
  return { findings, hotspots: hotspotsOf(sites, handlers, wrappedPrimitives) };
}

/** Functions no other function calls: where code runs from when no handler is found for it. */
function rootUnits(units: readonly FunctionUnit[], graph: CallGraph): FunctionUnit[] {
  const called = new Set<number>();
  for (const unit of units) for (const edge of graph.callees(unit)) called.add(edge.to.id);
  return units.filter((u) => !called.has(u.id));
}

/** The strongest guard around both the read and the write: what the function runs under, or a scope inside it covering both. */
function effectiveLevel(decision: CheckThenAct, outer: GuardLevel, own: readonly GuardScope[] | undefined): GuardLevel {
  const inner = Math.min(levelAt(own, decision.read), levelAt(own, decision.write));
  return Math.max(outer, inner) as GuardLevel;
}

/**
 * DECISIONS.md, Guards: a lock guards everything; SERIALIZABLE every database check-then-act; REPEATABLE READ (or a
 * row-locking read in any transaction) a read-modify-write of the same row, not an "if absent, create"; module-level
 * state only a lock.
 */
function requiredLevel(decision: CheckThenAct, operations: readonly DetectedOperation[]): GuardLevel {
  if ([...decision.readOps, ...decision.writeOps].some((i) => operations[i]!.operation.rule.startsWith("memory/"))) return GUARD.lock;
  if (decision.shape === "absence") return GUARD.serializable;
  return decision.readLocks ? GUARD.readCommitted : GUARD.repeatableRead;
}
