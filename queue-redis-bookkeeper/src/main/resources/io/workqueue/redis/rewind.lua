-- rewind: moves a lane's fetch pointer so that the next fresh fetch of the lane hands out
-- ARGV[1] + 1.
--
-- KEYS[1]  n        hash: init, and the lane's counters allocated and fetched (NORMAL), or
--                   allocated:<lane> and fetched:<lane>
-- ARGV[1]  fetched  the new pointer, at least the lane's base (checked by the caller)
-- ARGV[2]  lane     the lane number of ARGV[1], 0 to 4
-- Returns  1 when moved; 0, changing nothing, when it is above the lane's highest allocated index
--          or the queue is not initialized. A lane never used is not written (its pointer is at
--          its base already).
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return 0
end
local lane = tonumber(ARGV[2])
local allocated = redis.call('HGET', KEYS[1], laneField('allocated', lane))
if not allocated then
  if lane == 0 then
    allocated = '0'
  else
    return tonumber(ARGV[1]) == lane * LANE and 1 or 0
  end
end
if tonumber(ARGV[1]) > tonumber(allocated) then
  return 0
end
redis.call('HSET', KEYS[1], laneField('fetched', lane), ARGV[1])
return 1
