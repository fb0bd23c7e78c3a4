-- discard: forgets a dead letter.
--
-- KEYS[1]  dead   zset: member = index zero-padded to 16 digits, score = when it died (ms)
-- KEYS[2]  info   hash: index -> "x|<deliveries>|<worker>" for a dead letter
-- KEYS[3]  aside  zset: member = index, score = index: every index in info
-- ARGV[1]  index
-- Returns  1 when forgotten; 0 when the index is not a dead letter.
if redis.call('ZREM', KEYS[1], pad(tonumber(ARGV[1]))) == 0 then
  return 0
end
unsetAside({info = KEYS[2], aside = KEYS[3]}, ARGV[1])
return 1
