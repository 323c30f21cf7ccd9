// Lua scripts sent to Redis: the commands read from their text and the class each script gets, with the look-alikes that must not be a compare-and-set.
import { describe, expect, it } from "vitest";
import { classifyLua, luaCommands, strongestLuaClass, type LuaClass } from "../src/sites/lua.js";

describe("classifyLua", () => {
  it.each<[string, string, LuaClass | undefined]>([
    ["lock release (compare-and-delete)", `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`, "compare-and-set"],
    ["release written with and/or", `return redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('DEL', KEYS[1]) or 0`, "compare-and-set"],
    ["stock reservation", `local stock = tonumber(redis.call('HGET', KEYS[1], 'available'))\nif stock >= tonumber(ARGV[1]) then\n  redis.call('HINCRBY', KEYS[1], 'available', -ARGV[1])\n  return 1\nend\nreturn 0`, "compare-and-set"],
    ["acquire with SETNX then PEXPIRE", `if redis.call('SETNX', KEYS[1], ARGV[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end return 0`, "compare-and-set"],
    ["acquire with SET NX", `return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])`, "compare-and-set"],
    ["counter only", `redis.call('INCR', KEYS[1])\nreturn redis.call('HINCRBY', KEYS[2], ARGV[1], 1)`, "counter"],
    ["counter with a first-hit expiry (a TTL decides nothing)", `local current = redis.call("INCR", KEYS[1])\nif current == 1 then redis.call("EXPIRE", KEYS[1], ARGV[1]) end\nreturn current`, "non-monotonic"],
    ["adds only", `redis.call('SADD', KEYS[1], ARGV[1])\nredis.call('PFADD', KEYS[2], ARGV[1])\nreturn redis.call('INCR', KEYS[3])`, "monotonic"],
    ["unconditional delete", `redis.call('DEL', KEYS[1])\nreturn redis.call('SADD', KEYS[2], ARGV[1])`, "non-monotonic"],
    ["delete guarded by an argument only", `if ARGV[1] == 'purge' then redis.call('DEL', KEYS[1]) end`, "non-monotonic"],
    ["reads only", `local v = redis.call('GET', KEYS[1])\nif v then return redis.call('TTL', KEYS[1]) end\nreturn -2`, "read-only"],
    ["a loop over keys is no condition", `for i, key in ipairs(KEYS) do redis.call('UNLINK', key) end`, "non-monotonic"],
    ["comments and strings are not code", `-- if redis.call('GET', KEYS[1]) then redis.call('DEL', KEYS[1]) end\n--[[ redis.call('SET', KEYS[1], 'x') ]]\nlocal s = "redis.call('DEL', KEYS[1])"\nreturn redis.call('GET', KEYS[1])`, "read-only"],
    ["a computed command name cannot be read", `return redis.call(ARGV[1], KEYS[1])`, undefined],
  ])("%s", (_name, script, expected) => {
    expect(classifyLua(script)).toBe(expected);
  });
});

describe("luaCommands", () => {
  it("reads names, flags, conditions and reply use", () => {
    expect(luaCommands(`local n = redis.call('incr', KEYS[1]) if n > 1 then redis.pcall('set', KEYS[2], ARGV[1], 'xx') end`)).toEqual([
      { name: "INCR", flags: [], conditional: false, replyUsed: true },
      { name: "SET", flags: ["XX"], conditional: true, replyUsed: false },
    ]);
  });
});

describe("strongestLuaClass", () => {
  it("takes the strongest class of the texts a call may run", () => {
    expect(strongestLuaClass([`return redis.call('GET', KEYS[1])`, `redis.call('DEL', KEYS[1])`])).toBe("non-monotonic");
    expect(strongestLuaClass([`return redis.call(ARGV[1])`])).toBeUndefined();
  });
});
