// What CALM reads off one view of the call graph: the operations each call is or reaches, each function's check-then-acts, and the guard each function runs under.
import type { ts } from "ts-morph";
import type { CallGraph } from "../calls/summaries.js";
import type { FoundHandler } from "../handlers/find.js";
import type { Finding, Handler, Hotspot } from "../model/report.js";
import type { CodeIndex } from "../scan/code-index.js";
import type { UniqueKey } from "../load/unique-keys.js";
import type { Resolver } from "../scan/resolve.js";
import type { FunctionUnit } from "../scan/units.js";
import type { DetectedSite } from "../sites/detect.js";
import type { DetectedOperation } from "../sites/operations.js";
import { checkThenActs, decidesSomeWrite, type CheckThenAct } from "./decisions.js";
import { levelAt, type GuardLevel, type GuardScope } from "./scopes.js";

export interface CalmInput {
  index: CodeIndex;
  found: readonly FoundHandler[];
  /** Classified handlers, in the order of `found`: their `calm` is set here. */
  handlers: Handler[];
  sites: readonly DetectedSite[];
  operations: readonly DetectedOperation[];
  /** Graph items from here on, for `operations.length`, are the operations. */
  firstOperation: number;
  graph: CallGraph;
  resolver: Resolver;
  relative: (fileName: string) => string;
  /** Unique constraints the project's schemas declare. */
  uniqueKeys: readonly UniqueKey[];
}

export interface CalmResult {
  findings: Finding[];
  hotspots: Hotspot[];
}

/** What the analysis knows of one graph view: the operations each call in a unit is or reaches, and the unit's check-then-acts. */
export interface CalmView {
  graph: CallGraph;
  opsAt(unit: FunctionUnit, call: ts.Node): readonly number[];
  decisions(unit: FunctionUnit): readonly CheckThenAct[];
  /** Some read's result decides some write in the unit, whatever the entities. */
  decidesWrite(unit: FunctionUnit): boolean;
}

export function makeView(graph: CallGraph, input: CalmInput, opsByNode: ReadonlyMap<ts.Node, number[]>): CalmView {
  const { firstOperation, operations } = input;
  const last = firstOperation + operations.length;
  const reachedOps = new Map<number, number[]>();
  const opsOfUnit = (unit: FunctionUnit): number[] => {
    let list = reachedOps.get(unit.id);
    if (!list) {
      list = [];
      for (const item of graph.reach(unit).keys()) if (item >= firstOperation && item < last) list.push(item - firstOperation);
      reachedOps.set(unit.id, list);
    }
    return list;
  };
  const callsOf = new Map<number, Map<ts.Node, FunctionUnit[]>>();
  const calleesAt = (unit: FunctionUnit, call: ts.Node): FunctionUnit[] => {
    let map = callsOf.get(unit.id);
    if (!map) {
      map = new Map();
      for (const edge of graph.callees(unit)) if (!edge.inline) map.set(edge.call, [...(map.get(edge.call) ?? []), edge.to]);
      callsOf.set(unit.id, map);
    }
    return map.get(call) ?? [];
  };
  const opsAt = (unit: FunctionUnit, call: ts.Node): number[] => {
    const direct = opsByNode.get(call) ?? [];
    const callees = calleesAt(unit, call);
    if (callees.length === 0) return direct;
    return [...new Set([...direct, ...callees.flatMap(opsOfUnit)])].sort((a, b) => a - b);
  };
  const decided = new Map<number, CheckThenAct[]>();
  const deciding = new Map<number, boolean>();
  return {
    graph,
    opsAt,
    decidesWrite(unit) {
      let decides = deciding.get(unit.id);
      if (decides === undefined) deciding.set(unit.id, (decides = decidesSomeWrite(unit, operations, (call) => opsAt(unit, call))));
      return decides;
    },
    decisions(unit) {
      let list = decided.get(unit.id);
      if (!list) {
        list = checkThenActs(unit, operations, (call) => opsAt(unit, call));
        decided.set(unit.id, list);
      }
      return list;
    },
  };
}

/**
 * The weakest guard each reachable function runs under: a call inside a scope raises what its callee runs under to the
 * scope's level (nested scopes: the strongest), and a function reached along several paths keeps the weakest.
 */
export function reachLevels(graph: CallGraph, from: readonly FunctionUnit[], start: GuardLevel, scopes: ReadonlyMap<number | undefined, GuardScope[]>): Map<number, { unit: FunctionUnit; level: GuardLevel }> {
  const levels = new Map<number, { unit: FunctionUnit; level: GuardLevel }>();
  const work: FunctionUnit[] = [];
  const visit = (unit: FunctionUnit, level: GuardLevel): void => {
    const seen = levels.get(unit.id);
    if (seen && seen.level <= level) return;
    levels.set(unit.id, { unit, level });
    work.push(unit);
  };
  for (const unit of from) visit(unit, start);
  while (work.length > 0) {
    const unit = work.pop()!;
    const level = levels.get(unit.id)!.level;
    const own = scopes.get(unit.id);
    for (const edge of graph.callees(unit)) visit(edge.to, Math.max(level, levelAt(own, edge.call)) as GuardLevel);
  }
  return levels;
}

