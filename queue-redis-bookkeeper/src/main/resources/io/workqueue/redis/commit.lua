-- commit: commits allocated indices first .. first + count - 1 whose task rows are written.
--
-- KEYS[1]  pending  zset: score = index, member = "<index>|<allocation time ms>"
-- KEYS[2]  kept     zset: member = index, score = when it was resolved as kept (ms)
-- ARGV[1]  first    the first index of the range
-- ARGV[2]  count    the range's length
-- Returns  1 when every index of the range was still pending or was resolved as a kept hole; 0
--          when any was not (resolved as skipped, or unknown after the queue was initialized
--          again): the add must fail. The pending indices of the range are committed either way.
local first = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
if count < 1 then
  return 1
end
local last = first + count - 1
local removed = redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], string.format('%d', last))
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
    if redis.call('ZSCORE', KEYS[2], string.format('%d', index)) then
      found = found + 1
    end
  end
end
if removed + found == count then
  return 1
end
return 0
