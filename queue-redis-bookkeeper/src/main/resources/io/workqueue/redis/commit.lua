-- commit: commits allocated indices first .. first + count - 1 whose task rows are written, and
-- puts those given with a due time (after now: the caller leaves out the others) in the delayed
-- set. Publishes a work signal when an index of the range became ready at once.
--
-- KEYS[1]  pending  zset: score = index, member = "<index>|<allocation time ms>"
-- KEYS[2]  kept     zset: member = index, score = when it was resolved as kept (ms)
-- KEYS[3]  delayed  zset: member = index zero-padded to 16 digits, score = due ms
-- KEYS[4]  info     hash: index -> "w|<stored deliveries>" for a delayed or ready index, ...
-- KEYS[5]  aside    zset: member = index, score = index: every index in info
-- ARGV[1]  first    the first index of the range
-- ARGV[2]  count    the range's length
-- ARGV[3]  channel  the start of the queue's channels, "<prefix>:{owner/service}:"
-- ARGV[4]  index    the first delayed index, ARGV[5] its due time (ms); ARGV[6], ARGV[7] the next
--                   pair, ... (indices of the range, ascending)
-- Returns  1 when every index of the range was still pending or was resolved as a kept hole; 0
--          when any was not (resolved as skipped, or unknown after the queue was initialized
--          again): the add must fail. The pending indices of the range are committed either way;
--          only indices that were pending go to the delayed set (a kept hole was handed out
--          already, a skipped or unknown one must never be).
local first = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
if count < 1 then
  return 1
end
local last = first + count - 1
-- The delayed indices that are still pending, written in chunks of at most 1000 (unpack() is
-- limited by the Lua C stack): one ZADD delayed, one HSET info and one ZADD aside per chunk.
local delayedCount = 0
local delayedArgs, infoArgs, asideArgs = {}, {}, {}
local function flush()
  if #delayedArgs > 0 then
    redis.call('ZADD', KEYS[3], unpack(delayedArgs))
    redis.call('HSET', KEYS[4], unpack(infoArgs))
    redis.call('ZADD', KEYS[5], unpack(asideArgs))
    delayedArgs, infoArgs, asideArgs = {}, {}, {}
  end
end
for i = 4, #ARGV, 2 do
  local index = ARGV[i]
  if redis.call('ZCOUNT', KEYS[1], index, index) > 0 then
    delayedArgs[#delayedArgs + 1] = ARGV[i + 1]
    delayedArgs[#delayedArgs + 1] = pad(tonumber(index))
    infoArgs[#infoArgs + 1] = index
    infoArgs[#infoArgs + 1] = 'w|0'
    asideArgs[#asideArgs + 1] = index
    asideArgs[#asideArgs + 1] = index
    delayedCount = delayedCount + 1
    if #delayedArgs >= 2000 then
      flush()
    end
  end
end
flush()
local removed = redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], fmt(last))
if removed > delayedCount then
  publishWork(ARGV[3])
end
if removed == count then
  return 1
end
-- Some indices were not pending: each must be a kept hole. Walk whichever is smaller, the range
-- or the kept set (kept tiny by resolve_hole).
local kept = redis.call('ZCARD', KEYS[2])
if kept < count - removed then
  return 0
end
local found = 0
if kept <= count then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local index = tonumber(member)
    if index >= first and index <= last then
      found = found + 1
    end
  end
else
  for index = first, last do
    if redis.call('ZSCORE', KEYS[2], fmt(index)) then
      found = found + 1
    end
  end
end
if removed + found == count then
  return 1
end
return 0
