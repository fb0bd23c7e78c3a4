-- ack: releases the leases a worker holds on the given indices (a lease past its deadline but not
-- yet taken over still counts as held), and records a pending completion for each. Serves ack
-- (one index) and ackAll (several) alike; indices the worker does not hold are left alone.
--
-- KEYS[1]  lease        hash: index -> "<worker>|<deadline ms>|<deliveries>|<s or b>"
-- KEYS[2]  deadline     zset: member = index zero-padded to 16 digits, score = deadline ms
-- KEYS[3]  holder       hash: worker -> index of its lease on the single-task path
-- KEYS[4]  completions  zset: member = "<index zero-padded to 16 digits>|<worker>", score = due ms
-- KEYS[5]  batch        hash: worker -> how many batch leases it holds
-- ARGV[1]  worker
-- ARGV[2]  due          when the completions may be claimed (ms), or "" for none
-- ARGV[3]  index        the first index; ARGV[4], ARGV[5], ... more indices
-- Returns  the indices whose lease the worker held and that are now released, in the given order.
local worker = ARGV[1]
local due = ARGV[2]
local acked = {}
local fields = {}
for i = 3, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
if #fields == 0 then
  return acked
end
-- In bulk: one HMGET, then one HDEL, one ZREM, one ZADD and at most one HINCRBY for all indices.
local values = redis.call('HMGET', KEYS[1], unpack(fields))
local holder = redis.call('HGET', KEYS[3], worker)
local released = {}
local padded = {}
local completions = {}
local batchReleased = 0
for k, index in ipairs(fields) do
  local value = values[k]
  if value and not released[index] then
    local w, mode = string.match(value, '^(.*)|%-?%d+|%d+|([sb])$')
    if w == worker then
      released[index] = true
      local p = string.format('%016d', tonumber(index))
      padded[#padded + 1] = p
      if mode == 'b' then
        batchReleased = batchReleased + 1
      end
      if holder == index then
        redis.call('HDEL', KEYS[3], worker)
        holder = nil
      end
      if due ~= '' then
        completions[#completions + 1] = due
        completions[#completions + 1] = p .. '|' .. worker
      end
      acked[#acked + 1] = tonumber(index)
    end
  end
end
if #acked > 0 then
  local names = {}
  for _, index in ipairs(acked) do
    names[#names + 1] = string.format('%d', index)
  end
  redis.call('HDEL', KEYS[1], unpack(names))
  redis.call('ZREM', KEYS[2], unpack(padded))
  if batchReleased > 0 and redis.call('HINCRBY', KEYS[5], worker, -batchReleased) <= 0 then
    redis.call('HDEL', KEYS[5], worker)
  end
  if #completions > 0 then
    redis.call('ZADD', KEYS[4], unpack(completions))
  end
end
return acked
