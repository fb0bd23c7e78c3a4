-- pause: pauses or resumes fetching (n.paused present while paused). Works on a queue that is not
-- initialized too: the flag stays through initialize. Resuming publishes a work signal.
--
-- KEYS[1]  n        hash: paused
-- ARGV[1]  paused   "1" to pause, "0" to resume
-- ARGV[2]  channel  the start of the queue's channels, "<prefix>:{owner/service}:"
-- Returns  1 when the state changed, else 0.
if ARGV[1] == '1' then
  return redis.call('HSETNX', KEYS[1], 'paused', '1')
end
if redis.call('HDEL', KEYS[1], 'paused') == 0 then
  return 0
end
publishWork(ARGV[2])
return 1
