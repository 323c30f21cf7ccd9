// Classify: each handler takes the class of the most coordinated site it reaches; its evidence is every reachable site with its call path.
import { classRank, compareLocations, COST, KIND_CLASS, type Evidence, type Handler, type PathStep, type SpectrumClass } from "../model/report.js";
import type { CallGraph } from "../calls/summaries.js";
import type { FoundHandler } from "../handlers/find.js";
import type { DetectedSite } from "../sites/detect.js";
import type { FunctionUnit } from "../scan/units.js";

export function classifyHandler(handler: FoundHandler, sites: DetectedSite[], graph: CallGraph, relative: (fileName: string) => string): Handler {
  // For each reachable item: the entry that reaches it in the fewest frames (earlier entries win ties).
  const best = new Map<number, { dist: number; entry: FunctionUnit }>();
  for (const entry of handler.entries) {
    for (const unit of entry.units) {
      for (const [item, hop] of graph.reach(unit)) {
        const current = best.get(item);
        if (!current || hop.dist < current.dist) best.set(item, { dist: hop.dist, entry: unit });
      }
    }
  }
  const entryUnits = new Set(handler.entries.flatMap((e) => e.units.map((u) => u.id)));
  const frameName = (unit: FunctionUnit, first: boolean): string => (first && (unit.inline || unit.name === "<anonymous>") && entryUnits.has(unit.id) ? handler.name : unit.name);

  const evidence: Evidence[] = [];
  let unresolved = 0;
  for (const [item, { entry }] of best) {
    if (item >= graph.firstUnresolved) {
      unresolved++;
      continue;
    }
    const detected = sites[item]!;
    if (detected.site.delivery) continue;
    const path: PathStep[] = graph.path(entry, item).map((frame, i) => ({
      function: frameName(frame.unit, i === 0),
      file: relative(frame.unit.sourceFile.fileName),
      line: frame.line,
    }));
    const { kind, rule, api, file, line, column } = detected.site;
    evidence.push({ kind, rule, api, file, line, column, path });
  }
  evidence.sort((a, b) => classRank(KIND_CLASS[b.kind]) - classRank(KIND_CLASS[a.kind]) || compareLocations(a, b));
  const spectrumClass: SpectrumClass = evidence.length > 0 ? KIND_CLASS[evidence[0]!.kind] : "uncoordinated";
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
    unresolved,
  };
}
