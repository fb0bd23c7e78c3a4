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
for i = 3, #ARGV do
  local index = ARGV[i]
  local value = redis.call('HGET', KEYS[1], index)
  if value then
    local w, mode = string.match(value, '^(.*)|%-?%d+|%d+|([sb])$')
    if w == worker then
      local padded = string.format('%016d', tonumber(index))
      redis.call('HDEL', KEYS[1], index)
      redis.call('ZREM', KEYS[2], padded)
      if mode == 'b' and redis.call('HINCRBY', KEYS[5], worker, -1) <= 0 then
        redis.call('HDEL', KEYS[5], worker)
      end
      if redis.call('HGET', KEYS[3], worker) == index then
        redis.call('HDEL', KEYS[3], worker)
      end
      if due ~= '' then
        redis.call('ZADD', KEYS[4], due, padded .. '|' .. worker)
      end
      acked[#acked + 1] = tonumber(index)
    end
  end
end
return acked
