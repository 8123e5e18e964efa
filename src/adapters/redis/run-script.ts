import type { RedisClient } from './client.js';
import type { LuaScript } from './membership-lua.js';

/**
 * EVALSHA, falling back to EVAL once when the server has not cached the script (each node of
 * a Redis Cluster caches scripts on its own, so SCRIPT LOAD on one node is not enough).
 */
export async function runScript(client: RedisClient, s: LuaScript, keys: string[], args: Array<string | number> = []): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
    return client.eval(s.lua, keys.length, ...keys, ...args);
  }
}
