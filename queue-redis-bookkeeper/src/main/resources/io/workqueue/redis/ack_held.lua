-- ack_held: releases the lease a worker holds on the single-task path, if it still holds it, in
-- one step (ack without an index and without an outcome to persist: one round trip). A lease past
-- its deadline but not yet taken over still counts as held. Records no pending completion;
-- publishes the index on the done channel, and frees a group slot the lease held.
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- ARGV[1]  worker
-- ARGV[2]  channel  the start of the queue's channels, "<prefix>:{owner/service}:"
-- Returns  the released index, or 0 when the worker holds no single-task lease.
local k = queueKeys(KEYS)
local worker = ARGV[1]
local held = redis.call('HGET', k.holder, worker)
if not held then
  return 0
end
local value = redis.call('HGET', k.lease, held)
local w, mode
if value then
  local d, n
  w, d, n, mode = parseLease(value)
end
redis.call('HDEL', k.holder, worker)
if w ~= worker or mode ~= 's' then
  return 0 -- acknowledged already, or taken over by another worker: only the stale pointer goes
end
if endLease(k, held, value) > 0 then
  publishWork(ARGV[2])
end
publishDone(ARGV[2], {held})
return tonumber(held)
