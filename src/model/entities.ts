// How operations name the entity they touch, so that a read and a write of one table, model or key meet.

/** `userRepository`, `Users`, `UserModel` → `user`; `teamCollection` stays a model of its own. Key-like names (`cart:1`) are kept as written. */
export function normaliseEntity(name: string): string {
  if (/[^A-Za-z0-9_]/.test(name)) return name;
  let base = name.replace(/(repository|repo|model|dao|delegate)$/i, "") || name;
  base = base.replace(/^_+|_+$/g, "").toLowerCase();
  if (base.endsWith("ies")) return `${base.slice(0, -3)}y`;
  if (base.endsWith("sses") || base.endsWith("xes") || base.endsWith("ches") || base.endsWith("shes")) return base.slice(0, -2);
  if (base.endsWith("s") && !base.endsWith("ss")) return base.slice(0, -1);
  return base;
}
