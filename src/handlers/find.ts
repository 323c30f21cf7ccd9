// Run every enabled finder and give each handler its stable id (`file#name`, `#2`… for repeats in one file).
import type { CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { positionOf } from "../scan/units.js";
import { splitDispatch } from "./dispatch.js";
import type { FinderContext, HandlerCandidate, HandlerFinder } from "./finder.js";
import { liftForwarded } from "./forwarded.js";
import { FINDERS } from "./table.js";

export interface FoundHandler extends HandlerCandidate {
  id: string;
  file: string;
  line: number;
  column: number;
}

export function findHandlers(index: CodeIndex, resolver: Resolver, finders: readonly HandlerFinder[] = FINDERS): FoundHandler[] {
  const importedModules = index.importedModules;
  const context: FinderContext = { index, resolver, importedModules };
  const found: FoundHandler[] = [];
  for (const finder of finders) {
    if (finder.modules.length > 0 && !finder.modules.some((m) => importedModules.has(m) || [...importedModules].some((i) => i.startsWith(m + "/")))) continue;
    for (const candidate of splitDispatch(context, liftForwarded(resolver, finder.find(context)))) {
      const sourceFile = candidate.node.getSourceFile();
      const { line, column } = positionOf(candidate.node, sourceFile);
      found.push({ ...candidate, id: "", file: index.code.relative(sourceFile.fileName), line, column });
    }
  }
  found.sort((a, b) => (a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || a.column - b.column || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  const seen = new Map<string, number>();
  for (const handler of found) {
    const base = `${handler.file}#${handler.name}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    handler.id = count === 1 ? base : `${base}#${count}`;
  }
  return found;
}
