-- ack: releases the leases a worker holds on the given indices (a lease past its deadline but not
-- yet taken over still counts as held). Serves ack (one index), ackAll (several) and expire alike;
-- indices the worker does not hold are left alone. An ack records a pending completion for each
-- (when ARGV[2] is set) and publishes the indices on the done channel; an expire records none,
-- publishes nothing and counts the released leases in n.expired. A lease holding a group slot
-- frees it, which may move the group's lowest parked index to the ready set (work signal).
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- ARGV[1]  worker
-- ARGV[2]  due          when the completions may be claimed (ms), or "" for none
-- ARGV[3]  channel      the start of the queue's channels, "<prefix>:{owner/service}:"
-- ARGV[4]  mode         "ack" or "expire"
-- ARGV[5]  index        the first index; ARGV[6], ARGV[7], ... more indices
-- Returns  the indices whose lease the worker held and that are now released, in the given order.
local k = queueKeys(KEYS)
local worker = ARGV[1]
local due = ARGV[2]
local channel = ARGV[3]
local expire = ARGV[4] == 'expire'
local acked = {}
local fields = {}
for i = 5, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
if #fields == 0 then
  return acked
end
-- In bulk: one HMGET, then one HDEL, one ZREM, one ZADD and at most one HINCRBY for all indices.
local values = redis.call('HMGET', k.lease, unpack(fields))
local holder = redis.call('HGET', k.holder, worker)
local released = {}
local names = {}
local padded = {}
local completions = {}
local groups = {}
local batchReleased = 0
for i, index in ipairs(fields) do
  local value = values[i]
  if value and not released[index] then
    local w, _, _, mode, group = parseLease(value)
    if w == worker then
      released[index] = true
      local number = tonumber(index)
      local name = fmt(number)
      local p = pad(number)
      names[#names + 1] = name
      padded[#padded + 1] = p
      if mode == 'b' then
        batchReleased = batchReleased + 1
      end
      if holder == index then
        redis.call('HDEL', k.holder, worker)
        holder = nil
      end
      if group then
        groups[#groups + 1] = group
      end
      if due ~= '' and not expire then
        completions[#completions + 1] = due
        completions[#completions + 1] = p .. '|' .. worker
      end
      acked[#acked + 1] = number
    end
  end
end
if #acked > 0 then
  redis.call('HDEL', k.lease, unpack(names))
  redis.call('ZREM', k.deadline, unpack(padded))
  if batchReleased > 0 and redis.call('HINCRBY', k.batch, worker, -batchReleased) <= 0 then
    redis.call('HDEL', k.batch, worker)
  end
  if #completions > 0 then
    redis.call('ZADD', k.completions, unpack(completions))
  end
  local unparked = 0
  for _, group in ipairs(groups) do
    unparked = unparked + freeSlot(k, group)
  end
  if unparked > 0 then
    publishWork(channel)
  end
  if expire then
    redis.call('HINCRBY', k.n, 'expired', #acked)
  else
    publishDone(channel, names)
  end
end
return acked
