// The `cron` package: one handler per `new CronJob(cronTime, onTick, …)` or `CronJob.from({ cronTime, onTick })`.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { entryOf, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { memberEntry, memberOf, objectOf, valueOf } from "./options.js";
import { routePath } from "./route-tree.js";

const MODULES = ["cron"];
const CRON_JOB = ["CronJob", "default.CronJob"];

export const cron: HandlerFinder = {
  framework: "cron",
  title: "cron",
  modules: MODULES,
  describe:
    "`new CronJob(cronTime, onTick, onComplete?, start?, …)` and `CronJob.from({ cronTime, onTick, … })` from `cron` (named, default or namespace import), named `cron <expression>` (a literal or const, else `*`, as for a `Date` or a configured expression) and located at `new` or the `from(` call. `onTick` runs per tick (inline, a reference, or `this.tick.bind(this)`); `onComplete`, which runs once when the job stops, is not on the path. A command given as a string or `{ command }` object runs in a child process: the handler has no entries and counts it as unresolved. A project class of the same name is not `cron`'s.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (ts.isNewExpression(call) && isCronJob(resolver, call.expression)) {
          const [cronTime, onTick] = call.arguments ?? [];
          if (onTick) out.push(candidate(resolver, call, cronTime, tickEntry(resolver, onTick)));
        } else if (ts.isCallExpression(call)) {
          const callee = skipOuterExpressions(call.expression);
          if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "from" || !isCronJob(resolver, callee.expression)) continue;
          const params = objectOf(resolver, call.arguments[0]);
          const onTick = memberOf(params, "onTick");
          if (!onTick) continue;
          const value = valueOf(params, "onTick");
          const entry = value ? tickEntry(resolver, value) : memberEntry(resolver, onTick) ?? { units: [] };
          out.push(candidate(resolver, call, valueOf(params, "cronTime"), entry));
        }
      }
    }
    return out;
  },
};

function candidate(resolver: Resolver, node: ts.Node, cronTime: ts.Expression | undefined, entry: HandlerEntry): HandlerCandidate {
  return { name: `cron ${routePath(resolver, cronTime) || "*"}`, framework: "cron", node, entries: [entry], job: true };
}

/** `cron`'s own `CronJob` class, however imported; a project class of the same name is not it. */
function isCronJob(resolver: Resolver, callee: ts.Expression): boolean {
  return originMatches(resolver.origins(callee), MODULES, { exports: CRON_JOB, forms: ["value"] });
}

/** A function runs in process; a command (a string or `{ command, args }`) runs in a child process, which is not followed. */
function tickEntry(resolver: Resolver, onTick: ts.Expression): HandlerEntry {
  const expr = skipOuterExpressions(onTick);
  if (ts.isStringLiteralLike(expr) || ts.isTemplateExpression(expr) || ts.isObjectLiteralExpression(expr)) return { expression: onTick, units: [] };
  return entryOf(resolver, onTick);
}
