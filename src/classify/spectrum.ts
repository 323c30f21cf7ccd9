// Classify: each handler takes the class of the most coordinated site it reaches; its evidence is every reachable site with its call path.
import { ts } from "ts-morph";
import { classRank, compareLocations, COST, evidenceClass, type Evidence, type Handler, type PathStep, type SpectrumClass, type UnresolvedCall } from "../model/report.js";
import { amortisationOf } from "./amortised.js";
import type { StateRead } from "./local-copy.js";
import type { CallGraph, PathFrame } from "../calls/summaries.js";
import type { FoundHandler } from "../handlers/find.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import type { DetectedSite } from "../sites/detect.js";
import type { FunctionUnit } from "../scan/units.js";

export interface ClassifyContext {
  sites: DetectedSite[];
  /** Reads of state the sites keep: graph items after the sites'. */
  reads: StateRead[];
  /** Graph items from here to `firstUnresolved` are state operations (for CALM), not evidence. */
  firstOperation: number;
  graph: CallGraph;
  resolver: Resolver;
  relative: (fileName: string) => string;
}

export function classifier(context: ClassifyContext): (handler: FoundHandler) => Handler {
  // Wrapper use sites written in a handler's middleware list (`app.use(transaction())`): the entry expression is the site.
  const useSitesAt = new Map<ts.Node, number[]>();
  context.sites.forEach((d, i) => {
    if (d.primitive !== undefined) useSitesAt.set(d.node, [...(useSitesAt.get(d.node) ?? []), i]);
  });
  return (handler) => classifyHandler(handler, context, useSitesAt);
}

function classifyHandler(handler: FoundHandler, { sites, reads, firstOperation, graph: wholeGraph, resolver, relative }: ClassifyContext, useSitesAt: Map<ts.Node, number[]>): Handler {
  const graph = handler.callTargets ? wholeGraph.withTargets(handler.callTargets) : wholeGraph;
  // For each reachable item: the entry that reaches it in the fewest frames (earlier entries win ties).
  const best = new Map<number, { dist: number; entry: FunctionUnit | undefined }>();
  for (const entry of handler.entries) {
    const atEntry = useSitesAt.get(entry.boundAt ?? (entry.expression && skipOuterExpressions(entry.expression))!) ?? [];
    const standsFor = new Set(atEntry.map((i) => sites[i]!.primitive));
    for (const item of atEntry) if (!best.has(item)) best.set(item, { dist: 0, entry: undefined });
    for (const unit of entry.units) {
      for (const [item, hop] of graph.reach(unit)) {
        if (standsFor.has(item)) continue;
        const current = best.get(item);
        if (!current || hop.dist < current.dist) best.set(item, { dist: hop.dist, entry: unit });
      }
    }
  }
  const entryUnits = new Set(handler.entries.flatMap((e) => e.units.map((u) => u.id)));
  // A function written inside the registration (`run({ eachMessage: async () => … })`) is named after the handler.
  const writtenInRegistration = (unit: FunctionUnit): boolean => unit.node.pos >= handler.node.pos && unit.node.end <= handler.node.end && unit.sourceFile === handler.node.getSourceFile();
  const frameName = (unit: FunctionUnit, first: boolean): string =>
    first && (unit.inline || unit.name === "<anonymous>" || writtenInRegistration(unit)) && entryUnits.has(unit.id) ? handler.name : unit.name;
  const pathOf = (frames: PathFrame[]): PathStep[] => frames.map((frame, i) => ({ function: frameName(frame.unit, i === 0), file: relative(frame.unit.sourceFile.fileName), line: frame.line }));

  const evidence: Evidence[] = [];
  // An entry whose function cannot be found (a processor file outside the analysed code) is a call not seen.
  let unresolved = handler.entries.filter((e) => e.units.length === 0 && !(e.expression && useSitesAt.has(skipOuterExpressions(e.expression)))).length;
  const notSeen: UnresolvedCall[] = [];
  // Per site the handler does not reach itself: the nearest read of state it keeps (a local copy).
  const copies = new Map<number, { item: number; dist: number; entry: FunctionUnit }>();
  for (const [item, { dist, entry }] of best) {
    if (item >= graph.firstUnresolved) {
      unresolved++;
      notSeen.push(unresolvedCall(graph.items[item]!.node, relative));
      continue;
    }
    if (item >= firstOperation) continue;
    if (item >= sites.length) {
      for (const publisher of reads[item - sites.length]!.publishers) {
        if (best.has(publisher) || !entry) continue;
        const current = copies.get(publisher);
        if (!current || dist < current.dist || (dist === current.dist && graph.items[item]!.pos < graph.items[current.item]!.pos)) copies.set(publisher, { item, dist, entry });
      }
      continue;
    }
    const detected = sites[item]!;
    if (detected.site.delivery) continue;
    const { kind, rule, api, file, line, column } = detected.site;
    const frames = entry ? graph.path(entry, item) : [];
    const path: PathStep[] = entry ? pathOf(frames) : [{ function: handler.name, file, line }];
    const amortised = amortisationOf(frames, resolver);
    evidence.push({ kind, rule, api, file, line, column, path, ...(amortised ? { amortised } : {}) });
  }
  for (const [publisher, { item, entry }] of copies) {
    const { kind, rule, api, file, line, column } = sites[publisher]!.site;
    evidence.push({ kind, rule, api, file, line, column, path: pathOf(graph.path(entry, item)), amortised: "local-copy" });
  }
  evidence.sort((a, b) => classRank(evidenceClass(b)) - classRank(evidenceClass(a)) || compareLocations(a, b));
  const spectrumClass: SpectrumClass = evidence.length > 0 ? evidenceClass(evidence[0]!) : "uncoordinated";
  return {
    id: handler.id,
    name: handler.name,
    framework: handler.framework,
    file: handler.file,
    line: handler.line,
    column: handler.column,
    class: spectrumClass,
    cost: COST[spectrumClass],
    evidence,
    // Set by the CALM stage (src/calm), which needs every handler's reach.
    calm: "monotonic",
    unresolved,
    ...(notSeen.length > 0 ? { unresolvedCalls: notSeen.sort(compareLocations).slice(0, UNRESOLVED_SHOWN) } : {}),
  };
}

/** How many unresolved calls a handler lists (the count covers them all). */
const UNRESOLVED_SHOWN = 3;

function unresolvedCall(node: ts.Node, relative: (fileName: string) => string): UnresolvedCall {
  const sourceFile = node.getSourceFile();
  const callee = ts.isCallExpression(node) || ts.isNewExpression(node) ? node.expression : ts.isTaggedTemplateExpression(node) ? node.tag : node;
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(callee.getStart(sourceFile));
  const text = callee.getText(sourceFile).replace(/\s+/g, "");
  return { file: relative(sourceFile.fileName), line: line + 1, column: character + 1, call: text.length > 60 ? `${text.slice(0, 59)}…` : text };
}
