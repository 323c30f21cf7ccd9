// The table of framework modules: adding a framework is adding a module and a line here.
import type { HandlerFinder } from "./finder.js";
import { express } from "./express.js";

export const FINDERS: readonly HandlerFinder[] = [express];
