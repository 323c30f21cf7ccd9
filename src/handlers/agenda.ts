// Agenda: one handler per `agenda.define(name, [options,] processor)` on an `Agenda` instance.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches } from "../scan/resolve.js";
import { methodCalls, wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { nameText } from "./caller-values.js";

const MODULES = ["agenda"];

export const agenda: HandlerFinder = {
  framework: "agenda",
  title: "Agenda",
  modules: MODULES,
  describe:
    "`agenda.define(name, processor)` and `agenda.define(name, options, processor)` on an instance of Agenda's `Agenda` class, named `agenda <job name>` (a literal or const name, else `*`) and located at the `define(` call. Producers (`every`, `schedule`, `now`) are no handlers.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const { call, callee } of methodCalls(index, new Set(["define"]))) {
      if (!originMatches(resolver.origins(callee.expression), MODULES, { exports: ["Agenda", "default", "Agenda.Agenda"], types: ["Agenda"] })) continue;
      // Options come before the processor in Agenda's signature, and after it in the older one.
      const processor = call.arguments.slice(1).find((a) => !ts.isObjectLiteralExpression(skipOuterExpressions(a)));
      if (!processor) continue;
      const jobName = nameText(resolver, call.arguments[0]);
      out.push({ name: `agenda ${jobName.text}`, framework: "agenda", node: call, entries: wrappedEntries(resolver, processor), job: true, placeholders: jobName.placeholders });
    }
    return out;
  },
};
