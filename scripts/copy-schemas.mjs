// Copy the JSON schemas next to the compiled code, where the loader and `$schema` URLs expect them.
import fs from "node:fs";
import path from "node:path";

const from = path.resolve("src/schema");
const to = path.resolve("dist/schema");
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from).filter((n) => n.endsWith(".json")).sort()) {
  fs.copyFileSync(path.join(from, name), path.join(to, name));
}
