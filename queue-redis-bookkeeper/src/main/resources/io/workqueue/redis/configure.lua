-- configure: replaces a queue's settings (fields of n, absent when 0), also for a queue that is not
-- initialized. When the group limit is raised (or set to 0, none, after a limit), each group's
-- lowest parked indices move to the ready set, as many as now fit (the new limit less the slots
-- the group holds), and a work signal is published.
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- ARGV[1]  maxDeliveries  0 (no limit) or more
-- ARGV[2]  groupLimit     0 (no limit) or more
-- ARGV[3]  channel        the start of the queue's channels, "<prefix>:{owner/service}:"
-- Returns  how many parked indices moved to the ready set.
local k = queueKeys(KEYS)
local before = groupLimit(k)
for i, field in ipairs({'maxDeliveries', 'groupLimit'}) do
  if ARGV[i] == '0' then
    redis.call('HDEL', k.n, field)
  else
    redis.call('HSET', k.n, field, ARGV[i])
  end
end
local limit = tonumber(ARGV[2])
local unparked = 0
-- Only a raised limit (or none, 0, after one) makes room; then group by group: the first parked
-- member names a group, and the next group starts after its range.
local raised = before ~= 0 and (limit == 0 or limit > before)
local from = '-'
while raised do
  local first = redis.call('ZRANGEBYLEX', k.parked, from, '+', 'LIMIT', 0, 1)
  if #first == 0 then
    break
  end
  local group = string.match(first[1], '^(.*)|%d+$')
  local room
  if limit == 0 then
    room = redis.call('ZLEXCOUNT', k.parked, '[' .. group .. '|', '(' .. group .. '|:')
  else
    room = limit - tonumber(redis.call('HGET', k.slots, group) or '0')
  end
  unparked = unparked + unpark(k, group, room)
  from = '(' .. group .. '|:'
end
if unparked > 0 then
  publishWork(ARGV[3])
end
return unparked
