-- purge: forgets everything about a queue: counters, settings, the paused flag, pending indices,
-- holes, leases, delays, the ready set, groups, dead letters and pending completions. Every key a
-- queue can have is one of the fixed KEYS (no key is named after a group, worker or index).
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- Returns  how many keys existed.
return redis.call('DEL', unpack(KEYS))
