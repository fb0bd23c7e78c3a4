-- dead_letters: lists dead letters, oldest first (by when they died, then by index).
--
-- KEYS[1]  dead   zset: member = index zero-padded to 16 digits, score = when it died (ms)
-- KEYS[2]  info   hash: index -> "x|<deliveries>|<worker>" for a dead letter
-- ARGV[1]  limit  how many at most, 1 or more (checked by the caller)
-- Returns  {index, deliveries, worker, died ms, ...}
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local out = {}
for i = 1, #members, 2 do
  local index = fmt(tonumber(members[i]))
  local value = redis.call('HGET', KEYS[2], index)
  if value then
    local _, deliveries, worker = parseInfo(value)
    out[#out + 1] = tonumber(index)
    out[#out + 1] = deliveries
    out[#out + 1] = worker
    out[#out + 1] = tonumber(members[i + 1])
  end
end
return out
