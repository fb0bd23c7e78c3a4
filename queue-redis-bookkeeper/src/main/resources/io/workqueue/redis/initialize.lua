-- initialize: starts the bookkeeping of a queue that has none; does nothing for one that has.
-- Indices up to ARGV[1] are taken; the pointer starts at ARGV[2]: indices ARGV[2] .. ARGV[3] are
-- handed out again as redeliveries, then the pointer jumps to ARGV[1]. A new queue: 0, 1, 0.
--
-- KEYS[1]  n           hash: init, allocated, fetched, replay, skip
-- ARGV[1]  allocated   the highest index taken
-- ARGV[2]  replayFrom  the first index to hand out again
-- ARGV[3]  replayTo    the last index to hand out again
-- Returns  1 when this call initialized the queue, 0 when it was initialized already.
if redis.call('HEXISTS', KEYS[1], 'init') == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'init', '1', 'allocated', ARGV[1],
  'fetched', string.format('%d', tonumber(ARGV[2]) - 1), 'replay', ARGV[3], 'skip', ARGV[1])
return 1
