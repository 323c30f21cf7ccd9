// Unique constraints the project declares (Prisma schemas' @id, @unique, @@id, @@unique): an insert they cover cannot duplicate a row, whatever races before it.
import fs from "node:fs";
import { normaliseEntity } from "../model/entities.js";
import { prismaSchemaFiles } from "./generated-clients.js";

export interface UniqueKey {
  /** The model, named as operations name their entity. */
  entity: string;
  fields: string[];
}

/** The unique keys of the Prisma schemas of these package folders. */
export function findUniqueKeys(dirs: Iterable<string>): UniqueKey[] {
  const keys = new Map<string, UniqueKey>();
  for (const dir of new Set(dirs)) {
    for (const file of prismaSchemaFiles(dir)) {
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch {
        continue;
      }
      for (const key of schemaKeys(text)) keys.set(`${key.entity}\u0000${key.fields.join(",")}`, key);
    }
  }
  return [...keys.values()].sort((a, b) => (a.entity === b.entity ? (a.fields.join() < b.fields.join() ? -1 : 1) : a.entity < b.entity ? -1 : 1));
}

function schemaKeys(text: string): UniqueKey[] {
  const keys: UniqueKey[] = [];
  const withoutComments = text.replace(/\/\/.*$/gm, "");
  for (const model of withoutComments.matchAll(/^\s*model\s+(\w+)\s*\{([^}]*)\}/gm)) {
    const entity = normaliseEntity(model[1]!);
    for (const line of model[2]!.split("\n")) {
      const field = /^\s*(\w+)\s+\S+.*@(id|unique)\b/.exec(line);
      if (field) keys.push({ entity, fields: [field[1]!] });
      const compound = /^\s*@@(id|unique)\s*\(\s*(?:fields\s*:\s*)?\[([^\]]*)\]/.exec(line);
      if (compound) keys.push({ entity, fields: compound[2]!.split(",").map((f) => f.trim().replace(/\(.*$/, "")).filter(Boolean) });
    }
  }
  return keys;
}
