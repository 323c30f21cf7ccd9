// The table of output formats: adding a format is adding a module and a line here.
import type { Formatter } from "./formatter.js";
import { json } from "./json.js";
import { stylish } from "./stylish.js";

export const FORMATTERS: Readonly<Record<string, Formatter>> = { json, stylish };
