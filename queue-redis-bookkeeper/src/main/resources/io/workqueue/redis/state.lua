-- state: reads a queue's counters and all its leases in one consistent step. For information:
-- O(in-flight), never on the fetch path.
--
-- KEYS[1]  n        hash: allocated, fetched
-- KEYS[2]  pending  zset: score = index, member = "<index>|<allocation time ms>"
-- KEYS[3]  lease    hash: index -> "<worker>|<deadline ms>|<deliveries>|<s or b>"
-- KEYS[4]  skipped  zset: member = index, score = when it was skipped (ms); small (holes of a day)
-- Returns  {allocated, committed, fetched, skippedAhead, {index, lease value, index, lease value, ...}}
--          skippedAhead counts skipped holes in (fetched, committed]: O(skipped), which is tiny.
local counters = redis.call('HMGET', KEYS[1], 'allocated', 'fetched')
local allocated = tonumber(counters[1] or '0')
local fetched = tonumber(counters[2] or '0')
local committed = allocated
local lowest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #lowest > 0 then
  committed = tonumber(lowest[2]) - 1
end
local skippedAhead = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  local index = tonumber(member)
  if index > fetched and index <= committed then
    skippedAhead = skippedAhead + 1
  end
end
return {allocated, committed, fetched, skippedAhead, redis.call('HGETALL', KEYS[3])}
