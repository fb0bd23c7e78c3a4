-- release: ends a lease the worker holds without acknowledging it: the index goes to the delayed
-- set until ARGV[3], or to the ready set when that is not after ARGV[4], with the lease's delivery
-- count stored (the next lease counts one more). A group slot the lease held is freed. Publishes
-- a work signal when an index became ready.
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- ARGV[1]  worker
-- ARGV[2]  index
-- ARGV[3]  due      when it may be handed out again, epoch ms
-- ARGV[4]  now      the caller's time, epoch ms
-- ARGV[5]  channel  the start of the queue's channels, "<prefix>:{owner/service}:"
-- Returns  {} when the worker did not hold the lease (nothing changed), else the released lease:
--          {deadline ms, deliveries}.
local k = queueKeys(KEYS)
local index = ARGV[2]
local value = heldLease(k, ARGV[1], index)
if not value then
  return {}
end
local _, d, n = parseLease(value)
local unparked = endLease(k, index, value)
if tonumber(ARGV[3]) > tonumber(ARGV[4]) then
  toDelayed(k, index, n, ARGV[3])
else
  toReady(k, index, n)
  unparked = unparked + 1
end
if unparked > 0 then
  publishWork(ARGV[5])
end
return {tonumber(d), n}
