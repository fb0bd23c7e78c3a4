-- requeue: moves a dead letter to the ready set, its delivery count starting over (the next lease
-- is delivery 1), and publishes a work signal.
--
-- KEYS[1]  dead     zset: member = index zero-padded to 16 digits, score = when it died (ms)
-- KEYS[2]  ready    zset: member = index, score = index
-- KEYS[3]  info     hash: index -> "x|<deliveries>|<worker>" for a dead letter, "w|0" when ready
-- KEYS[4]  aside    zset: member = index, score = index: every index in info
-- ARGV[1]  index
-- ARGV[2]  channel  the start of the queue's channels, "<prefix>:{owner/service}:"
-- Returns  1 when requeued; 0, changing nothing, when the index is not a dead letter.
if redis.call('ZREM', KEYS[1], pad(tonumber(ARGV[1]))) == 0 then
  return 0
end
toReady({ready = KEYS[2], info = KEYS[3], aside = KEYS[4]}, ARGV[1], 0)
publishWork(ARGV[2])
return 1
