// graphile-worker: one handler per task of a task list given to `run`/`runOnce` (`taskList` option or second argument) or `runTaskList`/`runTaskListOnce`.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";

const MODULES = ["graphile-worker"];
const RUNNERS = ["run", "runOnce", "runTaskList", "runTaskListOnce"];

export const graphileWorker: HandlerFinder = {
  framework: "graphile-worker",
  title: "graphile-worker",
  modules: MODULES,
  describe:
    "Every task of a task list given to `run(options)` / `runOnce(options)` (the `taskList` option, or the override list as second argument) or to `runTaskList(options, tasks, pool)` / `runTaskListOnce`, whether written inline or in a variable (`const taskList: TaskList = {…}`, spread lists included). " +
    "Named `graphile-worker <task>` and located at the task's property key. Tasks loaded from a `taskDirectory` are not followed.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    const seen = new Set<ts.Node>();
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call) || !originMatches(resolver.origins(call.expression), MODULES, { exports: RUNNERS, forms: ["value"] })) continue;
        const [options, tasks] = call.arguments;
        const lists = [tasks, options && optionValue(resolver, options, "taskList")];
        for (const list of lists) {
          if (!list) continue;
          for (const task of tasksOf(resolver, list, 0)) {
            if (seen.has(task)) continue;
            seen.add(task);
            out.push({ name: `graphile-worker ${keyText(task.name)}`, framework: "graphile-worker", node: task.name, entries: taskEntries(resolver, task), job: true });
          }
        }
      }
    }
    return out;
  },
};

type Task = ts.PropertyAssignment | ts.ShorthandPropertyAssignment | ts.MethodDeclaration;

function taskEntries(resolver: Resolver, task: Task): HandlerEntry[] {
  if (ts.isMethodDeclaration(task)) {
    const unit = resolver.index.unitOf(task);
    return unit ? [{ units: [unit] }] : [];
  }
  return wrappedEntries(resolver, ts.isShorthandPropertyAssignment(task) ? task.name : task.initializer);
}

/** The object literal an expression denotes, following variables in analysed files. */
function objectOf(resolver: Resolver, expression: ts.Expression, depth: number): ts.ObjectLiteralExpression | undefined {
  const expr = skipOuterExpressions(expression);
  if (ts.isObjectLiteralExpression(expr)) return expr;
  if (depth > 6 || (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr))) return undefined;
  for (const declaration of resolver.declarationsOf(expr)) {
    if (!resolver.index.isAnalysed(declaration.getSourceFile().fileName)) continue;
    if ((ts.isVariableDeclaration(declaration) || ts.isPropertyAssignment(declaration)) && declaration.initializer) return objectOf(resolver, declaration.initializer, depth + 1);
    if (ts.isShorthandPropertyAssignment(declaration)) return objectOf(resolver, declaration.name, depth + 1);
  }
  return undefined;
}

function optionValue(resolver: Resolver, options: ts.Expression, name: string): ts.Expression | undefined {
  const object = objectOf(resolver, options, 0);
  for (const property of object?.properties ?? []) {
    if (ts.isPropertyAssignment(property) && keyText(property.name) === name) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property) && property.name.text === name) return property.name;
  }
  return undefined;
}

function tasksOf(resolver: Resolver, list: ts.Expression, depth: number): Task[] {
  const object = objectOf(resolver, list, depth);
  if (!object || depth > 6) return [];
  return object.properties.flatMap((property): Task[] => {
    if (ts.isSpreadAssignment(property)) return tasksOf(resolver, property.expression, depth + 1);
    return ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property) || ts.isMethodDeclaration(property) ? [property] : [];
  });
}

function keyText(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name) ? name.text : "*";
}
