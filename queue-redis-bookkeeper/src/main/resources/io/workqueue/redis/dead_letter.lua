-- dead_letter: ends a lease the worker holds by moving its index to the dead letters (with the
-- lease's delivery count, the worker and now), records a pending completion like ack when ARGV[3]
-- is set, frees a group slot the lease held, and publishes the index on the done channel.
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- ARGV[1]  worker
-- ARGV[2]  index
-- ARGV[3]  due      when the completion may be claimed (ms), or "" for none
-- ARGV[4]  now      the caller's time, epoch ms
-- ARGV[5]  channel  the start of the queue's channels, "<prefix>:{owner/service}:"
-- Returns  {} when the worker did not hold the lease (nothing changed), else {deliveries}.
local k = queueKeys(KEYS)
local worker = ARGV[1]
local index = ARGV[2]
local value = heldLease(k, worker, index)
if not value then
  return {}
end
local _, _, n = parseLease(value)
if endLease(k, index, value) > 0 then
  publishWork(ARGV[5])
end
local p = pad(tonumber(index))
redis.call('ZADD', k.dead, ARGV[4], p)
setAside(k, index, 'x|' .. fmt(n) .. '|' .. worker)
if ARGV[3] ~= '' then
  redis.call('ZADD', k.completions, ARGV[3], p .. '|' .. worker)
end
publishDone(ARGV[5], {index})
return {n}
