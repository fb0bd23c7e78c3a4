-- initialize: starts the bookkeeping of a queue that has none; does nothing for one that has.
-- Lane by lane: indices up to the lane's allocated are taken; its pointer starts at replayFrom:
-- indices replayFrom .. replayTo are handed out again as redeliveries, then the pointer jumps to
-- allocated. A new queue: NORMAL 0, 1, 0 and no other lane. Flags and settings set before (paused,
-- maxDeliveries, groupLimit) stay.
--
-- KEYS[1]  n           hash: init, and per lane allocated, fetched, replay, skip (NORMAL), or
--                      allocated:<lane>, fetched:<lane>, replay:<lane>, skip:<lane>, and lanes
--                      (the digits of the lanes other than NORMAL listed)
-- ARGV[1]  lane        the first lane's number (NORMAL, 0, always comes first); then, four values
--                      per lane:
-- ARGV[2]  allocated   the highest index taken
-- ARGV[3]  replayFrom  the first index to hand out again
-- ARGV[4]  replayTo    the last index to hand out again; ARGV[5] .. ARGV[8] the next lane, ...
-- Returns  1 when this call initialized the queue, 0 when it was initialized already.
if redis.call('HEXISTS', KEYS[1], 'init') == 1 then
  return 0
end
local args = {'init', '1'}
for i = 1, #ARGV, 4 do
  local lane = tonumber(ARGV[i])
  args[#args + 1] = laneField('allocated', lane)
  args[#args + 1] = ARGV[i + 1]
  args[#args + 1] = laneField('fetched', lane)
  args[#args + 1] = fmt(tonumber(ARGV[i + 2]) - 1)
  args[#args + 1] = laneField('replay', lane)
  args[#args + 1] = ARGV[i + 3]
  args[#args + 1] = laneField('skip', lane)
  args[#args + 1] = ARGV[i + 1]
end
redis.call('HSET', KEYS[1], unpack(args))
for i = 1, #ARGV, 4 do
  markLane(KEYS[1], tonumber(ARGV[i]))
end
return 1
