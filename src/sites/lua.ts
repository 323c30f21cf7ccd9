// Lua scripts sent to Redis (EVAL, EVALSHA, defined commands): what a script does to its keys, read exactly from its text.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { importBinding } from "../scan/resolve.js";

/**
 * What a script does, strongest first: `compare-and-set` (a write that depends on something the script read: the
 * script holds its keys for a read-decide-write, as SET NX does), `non-monotonic` (some write deletes, overwrites or
 * expires), `counter` (every write is an increment), `monotonic` (every write adds), `read-only` (no write).
 */
export const LUA_CLASSES = ["compare-and-set", "non-monotonic", "counter", "monotonic", "read-only"] as const;
export type LuaClass = (typeof LUA_CLASSES)[number];

export interface LuaCommand {
  /** Upper-case command name (`GET`, `JSON.SET`). */
  name: string;
  /** String-literal arguments, upper-cased (`NX`, `PX`). */
  flags: string[];
  /** Runs only on some paths: inside an `if`/`while`/`repeat` body, or as an operand of `and`/`or`. */
  conditional: boolean;
  /** Its reply is used inside the script (assigned, compared, tested, passed on), not only returned. */
  replyUsed: boolean;
}

/** Commands that only read. Anything not listed here or below is taken to write non-monotonically. */
const READS = new Set([
  "GET", "MGET", "EXISTS", "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "TYPE", "STRLEN", "GETRANGE", "SUBSTR", "GETBIT", "BITCOUNT", "BITPOS",
  "HGET", "HMGET", "HGETALL", "HEXISTS", "HLEN", "HKEYS", "HVALS", "HSTRLEN", "HRANDFIELD", "HSCAN", "HTTL", "HPTTL",
  "SISMEMBER", "SMISMEMBER", "SMEMBERS", "SCARD", "SRANDMEMBER", "SINTER", "SUNION", "SDIFF", "SINTERCARD", "SSCAN",
  "ZSCORE", "ZMSCORE", "ZRANK", "ZREVRANK", "ZCARD", "ZCOUNT", "ZLEXCOUNT", "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
  "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZRANDMEMBER", "ZSCAN", "ZINTER", "ZUNION", "ZDIFF", "ZINTERCARD",
  "LLEN", "LRANGE", "LINDEX", "LPOS", "XLEN", "XRANGE", "XREVRANGE", "XREAD", "XINFO", "XPENDING", "PFCOUNT",
  "GEOPOS", "GEODIST", "GEOHASH", "GEOSEARCH", "GEORADIUS_RO", "GEORADIUSBYMEMBER_RO",
  "TIME", "DBSIZE", "KEYS", "SCAN", "RANDOMKEY", "DUMP", "OBJECT", "LCS", "ECHO", "PING",
  "JSON.GET", "JSON.MGET", "JSON.TYPE", "JSON.STRLEN", "JSON.ARRLEN", "JSON.OBJKEYS", "JSON.OBJLEN",
]);

/** Commutative increments: a script writing only these is a counter. */
const INCREMENTS = new Set(["INCR", "INCRBY", "INCRBYFLOAT", "DECR", "DECRBY", "HINCRBY", "HINCRBYFLOAT", "ZINCRBY", "JSON.NUMINCRBY"]);

/** Writes that only add (set add, append, field set-if-absent); ZADD counts as a set add. */
const ADDS = new Set(["SADD", "PFADD", "PFMERGE", "ZADD", "GEOADD", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LINSERT", "XADD", "APPEND", "HSETNX", "MSETNX", "PUBLISH", "SPUBLISH"]);

/** Time-to-live changes: a retraction to come, but no decision of their own (a counter's first-hit EXPIRE). */
const TTLS = new Set(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST", "HEXPIRE", "HPEXPIRE", "HEXPIREAT", "HPEXPIREAT", "HPERSIST"]);

type Token = { kind: "name" | "string" | "number" | "op"; value: string };

/** Lua tokens, with comments dropped; long strings and long comments (`[==[ … ]==]`) included. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const longBracket = (at: number): number | undefined => {
    const match = /^\[(=*)\[/.exec(text.slice(at, at + 64));
    if (!match) return undefined;
    const close = `]${match[1]}]`;
    const end = text.indexOf(close, at + match[0].length);
    return end < 0 ? text.length : end + close.length;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith("--", i)) {
      i = longBracket(i + 2) ?? (text.indexOf("\n", i) < 0 ? text.length : text.indexOf("\n", i));
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = "";
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\") j++;
        value += text[j] ?? "";
        j++;
      }
      tokens.push({ kind: "string", value });
      i = j + 1;
    } else if (c === "[" && longBracket(i) !== undefined) {
      const end = longBracket(i)!;
      tokens.push({ kind: "string", value: text.slice(i, end).replace(/^\[=*\[\n?|\]=*\]$/g, "") });
      i = end;
    } else if (/[A-Za-z_]/.test(c)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))![0];
      tokens.push({ kind: "name", value: name });
      i += name.length;
    } else if (/[0-9]/.test(c)) {
      const number = /^(0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?)/.exec(text.slice(i))![0];
      tokens.push({ kind: "number", value: number });
      i += number.length;
    } else {
      const op = ["...", "==", "~=", "<=", ">=", "..", "::", "//", "<<", ">>"].find((o) => text.startsWith(o, i)) ?? c;
      tokens.push({ kind: "op", value: op });
      i += op.length;
    }
  }
  return tokens;
}

/** Tokens after which a command's reply is used by the script itself. */
const USES_REPLY = new Set(["=", "==", "~=", "<", ">", "<=", ">=", "not", "if", "elseif", "while", "until", "and", "or", "(", ",", "..", "+", "-", "*", "/", "//", "%", "^", "#", "{", "["]);

/**
 * The Redis commands a script runs (`redis.call`, `redis.pcall`, `server.call`), in order; undefined when some
 * command name is not a string literal (`redis.call(cmd, …)`): what such a script does cannot be read.
 */
export function luaCommands(text: string): LuaCommand[] | undefined {
  const tokens = tokenize(text);
  const commands: LuaCommand[] = [];
  // Open blocks; a condition (between if/elseif/while and then/do) belongs to no body yet.
  const blocks: string[] = [];
  let pendingDo = false;
  let inCondition = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === "name") {
      switch (token.value) {
        case "if":
          blocks.push("if");
          inCondition = true;
          break;
        case "elseif":
          inCondition = true;
          break;
        case "then":
          inCondition = false;
          break;
        case "while":
          blocks.push("while");
          pendingDo = true;
          inCondition = true;
          break;
        case "for":
          blocks.push("for");
          pendingDo = true;
          break;
        case "do":
          if (pendingDo) pendingDo = false;
          else blocks.push("do");
          inCondition = false;
          break;
        case "function":
          blocks.push("function");
          break;
        case "repeat":
          blocks.push("repeat");
          break;
        case "end":
        case "until":
          blocks.pop();
          break;
      }
    }
    const isCall =
      token.kind === "name" &&
      (token.value === "redis" || token.value === "server") &&
      tokens[i + 1]?.value === "." &&
      (tokens[i + 2]?.value === "call" || tokens[i + 2]?.value === "pcall") &&
      tokens[i + 3]?.value === "(";
    if (!isCall) continue;
    const nameToken = tokens[i + 4];
    if (!nameToken || nameToken.kind !== "string") return undefined;
    const flags: string[] = [];
    let depth = 1;
    for (let k = i + 5; k < tokens.length && depth > 0; k++) {
      const t = tokens[k]!;
      if (t.kind === "op" && t.value === "(") depth++;
      else if (t.kind === "op" && t.value === ")") depth--;
      else if (depth === 1 && t.kind === "string") flags.push(t.value.toUpperCase());
    }
    const before = tokens[i - 1];
    const operand = before?.kind === "name" && (before.value === "and" || before.value === "or");
    const guarded = blocks.some((b) => b === "if" || b === "while" || b === "repeat");
    commands.push({
      name: nameToken.value.toUpperCase(),
      flags,
      conditional: operand || (guarded && !inCondition),
      replyUsed: inCondition || (before !== undefined && USES_REPLY.has(before.value) && before.kind !== "string"),
    });
  }
  return commands;
}

function writeKind(command: LuaCommand): "read" | "increment" | "add" | "claim" | "ttl" | "other" {
  if (READS.has(command.name)) return "read";
  if (INCREMENTS.has(command.name)) return "increment";
  // SETNX and SET … NX succeed for one caller only: a compare-and-set of their own, as outside a script.
  if (command.name === "SETNX" || (command.name === "SET" && command.flags.includes("NX"))) return "claim";
  if (ADDS.has(command.name)) return "add";
  if (TTLS.has(command.name)) return "ttl";
  return "other";
}

/**
 * What a script does. A compare-and-set claims a key (SETNX, SET … NX) or writes, other than a time-to-live, on some
 * path only (an `if` body, an `and`/`or` operand) while reading something it can decide on (a read command, or a
 * reply it uses); a write guarded by arguments alone is not one. Undefined when the script names a command it computes.
 */
export function classifyLua(text: string): LuaClass | undefined {
  const commands = luaCommands(text);
  if (!commands) return undefined;
  const writes = commands.filter((c) => writeKind(c) !== "read");
  if (writes.length === 0) return "read-only";
  const reads = commands.some((c) => writeKind(c) === "read" || c.replyUsed);
  if (writes.some((w) => writeKind(w) === "claim")) return "compare-and-set";
  if (reads && writes.some((w) => w.conditional && writeKind(w) !== "ttl")) return "compare-and-set";
  if (writes.some((w) => writeKind(w) === "other" || writeKind(w) === "ttl")) return "non-monotonic";
  return writes.every((w) => writeKind(w) === "increment") ? "counter" : "monotonic";
}

/** The strongest class among the scripts a call may run (every path counts); undefined when none can be read. */
export function strongestLuaClass(texts: readonly string[]): LuaClass | undefined {
  const classes = texts.map(classifyLua).filter((c): c is LuaClass => c !== undefined);
  return LUA_CLASSES.find((c) => classes.includes(c));
}

/**
 * The script texts an expression may hold: a literal or template (interpolations read as `$n`), `+` of two texts,
 * `[…].join(sep)`, each branch of a conditional, a const or readonly field bound to one of these, or, for EVALSHA,
 * the script loaded for that SHA (`const sha = await redis.script("LOAD", text)`, `this.sha = await redis.scriptLoad(text)`).
 */
export function scriptTexts(expression: ts.Expression, resolver: Resolver, depth = 0): string[] {
  if (depth > 4) return [];
  const expr = skipOuterExpressions(expression);
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [expr.text];
  if (ts.isTemplateExpression(expr)) return [expr.head.text + expr.templateSpans.map((span, i) => `$${i + 1}${span.literal.text}`).join("")];
  if (ts.isConditionalExpression(expr)) return [...scriptTexts(expr.whenTrue, resolver, depth), ...scriptTexts(expr.whenFalse, resolver, depth)];
  if (ts.isBinaryExpression(expr)) {
    const kind = expr.operatorToken.kind;
    if (kind === ts.SyntaxKind.QuestionQuestionToken || kind === ts.SyntaxKind.BarBarToken) return [...scriptTexts(expr.left, resolver, depth), ...scriptTexts(expr.right, resolver, depth)];
    if (kind === ts.SyntaxKind.PlusToken) {
      const left = scriptTexts(expr.left, resolver, depth + 1);
      const right = scriptTexts(expr.right, resolver, depth + 1);
      return left.length === 1 && right.length === 1 ? [left[0]! + right[0]!] : [];
    }
    return [];
  }
  if (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression)) {
    const method = expr.expression.name.text;
    const target = skipOuterExpressions(expr.expression.expression);
    if (method === "join" && ts.isArrayLiteralExpression(target)) {
      const separator = expr.arguments[0] ? scriptTexts(expr.arguments[0], resolver, depth + 1)[0] : ",";
      const parts = target.elements.map((e) => scriptTexts(e, resolver, depth + 1));
      return separator !== undefined && parts.every((p) => p.length === 1) ? [parts.map((p) => p[0]).join(separator)] : [];
    }
    // SCRIPT LOAD returns the SHA that EVALSHA runs.
    const first = expr.arguments[0];
    if (method === "script" && first && ts.isStringLiteralLike(skipOuterExpressions(first)) && (skipOuterExpressions(first) as ts.StringLiteralLike).text.toLowerCase() === "load" && expr.arguments[1]) {
      return scriptTexts(expr.arguments[1], resolver, depth + 1);
    }
    if (/^script_?load$/i.test(method) && first) return scriptTexts(first, resolver, depth + 1);
    return [];
  }
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) {
    const texts: string[] = [];
    for (const declaration of resolver.declarationsOf(expr)) {
      if ((ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isPropertyAssignment(declaration)) && declaration.initializer && !importBinding(declaration)) {
        texts.push(...scriptTexts(declaration.initializer, resolver, depth + 1));
      }
      // `this.sha = await redis.script("LOAD", …)` in the class's methods.
      if (ts.isPropertyDeclaration(declaration) && ts.isClassLike(declaration.parent) && ts.isIdentifier(declaration.name)) {
        for (const value of assignedToThis(declaration.parent, declaration.name.text)) texts.push(...scriptTexts(value, resolver, depth + 1));
      }
    }
    return texts;
  }
  return [];
}

function assignedToThis(cls: ts.ClassLikeDeclaration, name: string): ts.Expression[] {
  const values: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left) && node.left.expression.kind === ts.SyntaxKind.ThisKeyword && node.left.name.text === name) {
      values.push(node.right);
    }
    ts.forEachChild(node, visit);
  };
  for (const member of cls.members) visit(member);
  return values;
}
