-- resolve_hole: resolves a pending index that fetch reported as a hole.
--
-- KEYS[1]  pending  zset: score = index, member = "<index>|<allocation time ms>"
-- KEYS[2]  skipped  zset: member = index, score = when it was skipped (ms)
-- KEYS[3]  kept     zset: member = index, score = when it was kept (ms)
-- ARGV[1]  index    the hole
-- ARGV[2]  keep     "1": the task row exists, commit it; "0": skip it for good
-- ARGV[3]  now      the caller's time, epoch ms
-- ARGV[4]  cutoff   skipped members resolved before this time (ms) are trimmed
-- Returns  1 when this call resolved it, 0 when it was no longer pending (nothing changed).
--
-- The skipped set only serves a late commit (which must fail) and fetch (which steps over it);
-- the fetch pointer passes a hole right after it is skipped, so members older than the cutoff
-- (one day) are dropped whenever one is added, and the set stays tiny.
local removed = redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
if removed == 0 then
  return 0
end
local resolved = KEYS[3]
if ARGV[2] == '0' then
  resolved = KEYS[2]
end
redis.call('ZADD', resolved, ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', resolved, '-inf', '(' .. ARGV[4])
return 1
