-- extend: moves the deadline of a lease the worker holds (past its deadline but not taken over
-- counts); the delivery count stays.
--
-- KEYS[1]  lease     hash: index -> "<worker>|<deadline ms>|<deliveries>|<s or b>[|<group>]"
-- KEYS[2]  deadline  zset: member = index zero-padded to 16 digits, score = deadline ms
-- ARGV[1]  worker
-- ARGV[2]  index
-- ARGV[3]  deadline  the new deadline, epoch ms
-- Returns  1 when the worker held the lease and it now ends at ARGV[3]; 0, changing nothing,
--          otherwise.
local value = redis.call('HGET', KEYS[1], ARGV[2])
if not value then
  return 0
end
local w, d, n, mode, group = parseLease(value)
if w ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[2], leaseValue(w, ARGV[3], n, mode, group))
redis.call('ZADD', KEYS[2], ARGV[3], pad(tonumber(ARGV[2])))
return 1
