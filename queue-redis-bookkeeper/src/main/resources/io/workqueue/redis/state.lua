-- state: reads a queue's counters and all its leases in one consistent step. For information:
-- O(in-flight), never on the fetch path.
--
-- KEYS[1]  n        hash: allocated, fetched
-- KEYS[2]  pending  zset: score = index, member = "<index>|<allocation time ms>"
-- KEYS[3]  lease    hash: index -> "<worker>|<deadline ms>|<deliveries>|<s or b>"
-- Returns  {allocated, committed, fetched, {index, lease value, index, lease value, ...}}
local counters = redis.call('HMGET', KEYS[1], 'allocated', 'fetched')
local allocated = tonumber(counters[1] or '0')
local fetched = tonumber(counters[2] or '0')
local committed = allocated
local lowest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #lowest > 0 then
  committed = tonumber(lowest[2]) - 1
end
return {allocated, committed, fetched, redis.call('HGETALL', KEYS[3])}
