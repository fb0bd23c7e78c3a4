-- ack_held: releases the lease a worker holds on the single-task path, if it still holds it, in
-- one step (ack without an index and without an outcome to persist: one round trip). A lease past
-- its deadline but not yet taken over still counts as held. Records no pending completion.
--
-- KEYS[1]  holder    hash: worker -> index of its lease on the single-task path
-- KEYS[2]  lease     hash: index -> "<worker>|<deadline ms>|<deliveries>|<s or b>"
-- KEYS[3]  deadline  zset: member = index zero-padded to 16 digits, score = deadline ms
-- ARGV[1]  worker
-- Returns  the released index, or 0 when the worker holds no single-task lease.
local worker = ARGV[1]
local held = redis.call('HGET', KEYS[1], worker)
if not held then
  return 0
end
local value = redis.call('HGET', KEYS[2], held)
local w, mode
if value then
  w, mode = string.match(value, '^(.*)|%-?%d+|%d+|([sb])$')
end
redis.call('HDEL', KEYS[1], worker)
if w ~= worker or mode ~= 's' then
  return 0 -- acknowledged already, or taken over by another worker: only the stale pointer goes
end
redis.call('HDEL', KEYS[2], held)
redis.call('ZREM', KEYS[3], string.format('%016d', tonumber(held)))
return tonumber(held)
