// Timer callbacks: a function handed to setInterval runs on the timer, not when the function registering it runs (a lease renewed every few seconds is off the request path).
import { ts } from "ts-morph";
import type { CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";

/** Ids of inline functions passed to the global `setInterval` (or `setInterval` imported from node:timers). */
export function intervalCallbacks(index: CodeIndex, resolver: Resolver): Set<number> {
  const ids = new Set<number>();
  for (const unit of index.units) {
    if (!unit.inline) continue;
    let argument: ts.Node = unit.node;
    while (ts.isParenthesizedExpression(argument.parent)) argument = argument.parent;
    const call = argument.parent;
    if (ts.isCallExpression(call) && call.arguments[0] === argument && isSetInterval(call.expression, resolver)) ids.add(unit.id);
  }
  return ids;
}

function isSetInterval(callee: ts.Expression, resolver: Resolver): boolean {
  const name = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && ["globalThis", "global", "window"].includes(callee.expression.text) ? callee.name : undefined;
  if (!name || name.text !== "setInterval") return false;
  const imported = ts.isIdentifier(callee) ? resolver.importOf(callee) : undefined;
  if (imported) return ["timers", "node:timers"].includes(imported.module) && imported.path === "setInterval";
  // The global, unless the project declares its own `setInterval`.
  return resolver.declarationsOf(name).every((declaration) => declaration.getSourceFile().isDeclarationFile);
}
