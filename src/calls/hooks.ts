// ORM hooks on a handler's path: for each ORM call in the analysed code, the hook functions (listeners, subscribers, middleware) it runs, as extra call targets.
import type { ts } from "ts-morph";
import type { CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import type { FunctionUnit } from "../scan/units.js";
import { mongooseHooks } from "./hooks/mongoose.js";
import type { OrmHooks } from "./hooks/orm.js";
import { prismaHooks } from "./hooks/prisma.js";
import { sequelizeHooks } from "./hooks/sequelize.js";
import { typeormHooks } from "./hooks/typeorm.js";

/** The table of ORMs: adding one is adding a module and a line here. */
export const ORM_HOOKS: readonly OrmHooks[] = [typeormHooks, sequelizeHooks, prismaHooks, mongooseHooks];

export function ormHookTargets(index: CodeIndex, resolver: Resolver): Map<ts.Node, FunctionUnit[]> {
  const targets = new Map<ts.Node, FunctionUnit[]>();
  for (const orm of ORM_HOOKS) {
    if (orm.modules.length > 0 && !orm.modules.some((m) => index.importedModules.has(m))) continue;
    orm.findTargets(index, resolver, (call, units) => {
      const list = targets.get(call) ?? [];
      for (const unit of units) if (!list.includes(unit)) list.push(unit);
      targets.set(call, list);
    });
  }
  return targets;
}
