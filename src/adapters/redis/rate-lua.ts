/**
 * The rate-limit counter as a Lua fragment (the handshake script embeds it) and as a script.
 * A window starts at its first request and its key expires 1 s later: the count is the number
 * of requests since the window opened.
 */

/** Defines `sb_rate_hit(key, ttl_ms)`: INCR, PEXPIRE on the first hit; returns the count. */
export const RATE_HIT_FUNCTION = `
local function sb_rate_hit(key, ttl_ms)
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ttl_ms) end
  return n
end
`;

/** KEYS[1] the window's counter; ARGV[1] ttl ms. Returns the count. */
export const RATE_HIT_LUA = `${RATE_HIT_FUNCTION}
return sb_rate_hit(KEYS[1], ARGV[1])
`;
