-- claim_completions: claims pending completions whose time has come (due <= now), earliest due
-- first (ties: lowest index), and pushes their due time to ARGV[2] so other nodes leave them
-- alone meanwhile.
--
-- KEYS[1]  completions  zset: member = "<index zero-padded to 16 digits>|<worker>", score = due ms
-- ARGV[1]  now          the caller's time, epoch ms
-- ARGV[2]  until        now + claim duration, epoch ms
-- ARGV[3]  limit        how many at most, 1 or more
-- Returns  the claimed members, in order.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[2], member)
end
return due
