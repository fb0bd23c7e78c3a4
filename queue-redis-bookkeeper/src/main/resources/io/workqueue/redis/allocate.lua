-- allocate: reserves ARGV[1] consecutive new indices of one lane of a queue, pending until
-- committed.
--
-- KEYS[1]  n        hash: init, the lane's counter allocated (NORMAL) or allocated:<lane>, and
--                   lanes (the digits of the other lanes in use)
-- KEYS[2]  pending  zset: score = index, member = "<index>|<allocation time ms>"
-- ARGV[1]  count    1 or more (checked by the caller)
-- ARGV[2]  now      the caller's time, epoch ms
-- ARGV[3]  lane     the lane number, 0 (NORMAL) to 4; its indices are lane * 10^15 + 1, + 2, ...
-- Returns  the first reserved index (the lane's first ever is lane * 10^15 + 1), or 0, changing
--          nothing, when the queue is not initialized (no field "init" in n: a new queue, or lost
--          bookkeeping), or -(left + 1), changing nothing, when the lane has only left indices,
--          fewer than count. A lane's counter field is written on its first allocation: a lane
--          never used costs nothing.
--
-- Indices are Lua numbers (doubles): exact up to 2^53 - 1; every index lies below 5 * 10^15.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return 0
end
local count = tonumber(ARGV[1])
local now = ARGV[2]
local lane = tonumber(ARGV[3])
local base = lane * LANE
local field = laneField('allocated', lane)
local current = redis.call('HGET', KEYS[1], field)
local allocated = tonumber(current or fmt(base))
local last = allocated + count
if last >= base + LANE then
  return -(base + LANE - 1 - allocated) - 1 -- the lane has too few indices left: nothing changes
end
local index = allocated + 1
while index <= last do
  -- ZADD in chunks: unpack() is limited by the Lua C stack (about 8000 values)
  local args = {}
  local n = 0
  while index <= last and n < 1000 do
    local s = fmt(index)
    args[#args + 1] = s
    args[#args + 1] = s .. '|' .. now
    index = index + 1
    n = n + 1
  end
  redis.call('ZADD', KEYS[2], unpack(args))
end
redis.call('HSET', KEYS[1], field, fmt(last))
if not current then
  markLane(KEYS[1], lane) -- the lane's first allocation
end
return allocated + 1
