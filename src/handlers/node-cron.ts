// node-cron: one handler per `cron.schedule(expression, task)` or `cron.createTask(expression, task)`.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { entryOf, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";

const MODULES = ["node-cron"];
const SCHEDULERS = ["schedule", "createTask"].flatMap((name) => [name, `default.${name}`, `nodeCron.${name}`]);

export const nodeCron: HandlerFinder = {
  framework: "node-cron",
  title: "node-cron",
  modules: MODULES,
  describe:
    "`cron.schedule(expression, task)` and `cron.createTask(expression, task)` (default, namespace or named imports), named `cron <expression>` (a literal or const, else `*`) and located at the call. A task given as a file path (a background task) is reported with no entries and counts as unresolved.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call) || !isScheduler(resolver, call.expression)) continue;
        const [expression, task] = call.arguments;
        if (!task) continue;
        const entry = entryOf(resolver, task);
        out.push({ name: `cron ${routePath(resolver, expression)}`, framework: "node-cron", node: call, entries: [entry], job: true });
      }
    }
    return out;
  },
};

/** node-cron's own `schedule` / `createTask`, however imported; a project function of the same name is not one. */
function isScheduler(resolver: Resolver, callee: ts.Expression): boolean {
  const expr = skipOuterExpressions(callee);
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return false;
  return resolver.origins(expr).some((o) => MODULES.includes(o.module) && o.form === "value" && SCHEDULERS.includes(o.path));
}
