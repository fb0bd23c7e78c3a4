-- state: reads a queue's counters and all its leases in one consistent step. For information and
-- for the core's occasional record of progress: O(in-flight), never on the fetch path.
--
-- KEYS[1]  n            hash: init, allocated, fetched
-- KEYS[2]  pending      zset: score = index, member = "<index>|<allocation time ms>"
-- KEYS[3]  lease        hash: index -> "<worker>|<deadline ms>|<deliveries>|<s or b>"
-- KEYS[4]  skipped      zset: member = index, score = when it was skipped (ms); small
-- KEYS[5]  completions  zset: member = "<index zero-padded to 16 digits>|<worker>", score = due ms
-- Returns  {} when the queue is not initialized, else {allocated, committed, fetched,
--          skippedAhead, lowestUnfinished, {index, lease value, index, lease value, ...}}
--          skippedAhead counts skipped holes in (fetched, committed]; lowestUnfinished is the
--          lowest of fetched + 1, the leased indices and the indices with a pending completion.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return {}
end
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
local leases = redis.call('HGETALL', KEYS[3])
local unfinished = fetched + 1
for i = 1, #leases, 2 do
  local index = tonumber(leases[i])
  if index < unfinished then
    unfinished = index
  end
end
for _, member in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  local index = tonumber(string.match(member, '^(%d+)|'))
  if index < unfinished then
    unfinished = index
  end
end
return {allocated, committed, fetched, skippedAhead, unfinished, leases}
