-- rewind: moves the fetch pointer so that the next fresh fetch hands out ARGV[1] + 1.
--
-- KEYS[1]  n        hash: allocated, fetched
-- ARGV[1]  fetched  the new pointer, 0 or more (checked by the caller)
-- Returns  1 when moved; 0, changing nothing, when it is above the highest allocated index or
--          the queue is not initialized.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return 0
end
local allocated = tonumber(redis.call('HGET', KEYS[1], 'allocated') or '0')
if tonumber(ARGV[1]) > allocated then
  return 0
end
redis.call('HSET', KEYS[1], 'fetched', ARGV[1])
return 1
