-- commit: commits allocated indices first .. first + count - 1 whose task rows are written.
--
-- KEYS[1]  pending  zset: score = index, member = "<index>|<allocation time ms>"
-- KEYS[2]  skipped  zset: member = index, score = when it was skipped (ms)
-- ARGV[1]  first    the first index of the range
-- ARGV[2]  count    the range's length
-- Returns  1 when every index of the range is committed (also when some were committed before or
--          resolved as kept holes); 0 when any index of the range was resolved as a skipped hole.
--
-- An index is never both pending and skipped, so "not pending and skipped" is "skipped".
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
-- Some indices were not pending any more: look for a skipped one, walking whichever is smaller,
-- the range or the skipped set (kept tiny by resolve_hole).
if redis.call('ZCARD', KEYS[2]) <= count - removed then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local index = tonumber(member)
    if index >= first and index <= last then
      return 0
    end
  end
else
  for index = first, last do
    if redis.call('ZSCORE', KEYS[2], string.format('%d', index)) then
      return 0
    end
  end
end
return 1
