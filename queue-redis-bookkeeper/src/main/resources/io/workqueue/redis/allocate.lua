-- allocate: reserves ARGV[1] consecutive new indices of one queue, pending until committed.
--
-- KEYS[1]  n        hash: allocated, fetched
-- KEYS[2]  pending  zset: score = index, member = "<index>|<allocation time ms>"
-- ARGV[1]  count    1 or more (checked by the caller)
-- ARGV[2]  now      the caller's time, epoch ms
-- Returns  the first reserved index (the first ever is 1), or 0, changing nothing, when the queue
--          is not initialized (no field "init" in n: a new queue, or lost bookkeeping).
--
-- Indices are Lua numbers (doubles): exact up to 2^53 - 1, checked before anything is written.
-- Every number sent to Redis is formatted with %d, because Lua's own tostring turns numbers of
-- 15 digits and more into exponent notation.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return 0
end
local count = tonumber(ARGV[1])
local now = ARGV[2]
local allocated = tonumber(redis.call('HGET', KEYS[1], 'allocated') or '0')
local last = allocated + count
if last > 9007199254740991 then
  return redis.error_reply('ERR workqueue: index space of the queue exhausted (2^53 - 1)')
end
local index = allocated + 1
while index <= last do
  -- ZADD in chunks: unpack() is limited by the Lua C stack (about 8000 values)
  local args = {}
  local n = 0
  while index <= last and n < 1000 do
    local s = string.format('%d', index)
    args[#args + 1] = s
    args[#args + 1] = s .. '|' .. now
    index = index + 1
    n = n + 1
  end
  redis.call('ZADD', KEYS[2], unpack(args))
end
redis.call('HSET', KEYS[1], 'allocated', string.format('%d', last))
return allocated + 1
