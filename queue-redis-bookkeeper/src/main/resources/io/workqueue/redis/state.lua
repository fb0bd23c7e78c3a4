-- state: reads a queue's counters, its leases and the sizes of its sets in one consistent step.
-- For information and for the core's occasional record of progress: O(in-flight + pending
-- completions + skipped + log n), never on the fetch path; the delayed, ready, parked and dead
-- indices are counted (ZCARD), not read.
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- Returns  {paused 0|1} when the queue is not initialized, else
--          {allocated, committed, fetched, skippedAhead, lowestUnfinished (the NORMAL lane's),
--           {index, worker, deadline ms, deliveries, ...} (every lease),
--           delayed, ready, dead, parked, expired, paused 0|1,
--           {lane, allocated, committed, fetched, skippedAhead, ...} (other lanes with indices)}
--          skippedAhead counts a lane's skipped holes in (fetched, committed]; lowestUnfinished is
--          the lowest of fetched + 1 and the NORMAL indices leased, with a pending completion, or
--          set aside (delayed, ready, parked, dead).
local k = queueKeys(KEYS)
local init, paused, lanes = readLanes(k)
if not init then
  return {paused and 1 or 0}
end
local skipped = redis.call('ZRANGE', k.skipped, 0, -1)
local ctx = {k = k}
local others = {}
for lane = 0, 4 do
  local l = lanes[lane]
  if l then
    laneCommitted(ctx, l)
    l.skippedAhead = 0
    for _, member in ipairs(skipped) do
      local index = tonumber(member)
      if index > l.fetched and index <= l.committed then
        l.skippedAhead = l.skippedAhead + 1
      end
    end
    if lane ~= 0 and l.allocated > l.base then
      others[#others + 1] = lane
      others[#others + 1] = l.allocated
      others[#others + 1] = l.committed
      others[#others + 1] = l.fetched
      others[#others + 1] = l.skippedAhead
    end
  end
end
local normal = lanes[0]
local unfinished = normal.fetched + 1
local flat = redis.call('HGETALL', k.lease)
local leases = {}
for i = 1, #flat, 2 do
  local index = tonumber(flat[i])
  local w, d, n = parseLease(flat[i + 1])
  leases[#leases + 1] = index
  leases[#leases + 1] = w
  leases[#leases + 1] = tonumber(d)
  leases[#leases + 1] = n
  if index < unfinished then
    unfinished = index
  end
end
for _, member in ipairs(redis.call('ZRANGE', k.completions, 0, -1)) do
  local index = tonumber(string.match(member, '^(%d+)|'))
  if index < unfinished then
    unfinished = index
  end
end
local aside = redis.call('ZRANGEBYSCORE', k.aside, '-inf', '(' .. fmt(LANE), 'LIMIT', 0, 1)
if #aside > 0 and tonumber(aside[1]) < unfinished then
  unfinished = tonumber(aside[1])
end
return {normal.allocated, normal.committed, normal.fetched, normal.skippedAhead, unfinished,
  leases, redis.call('ZCARD', k.delayed), redis.call('ZCARD', k.ready),
  redis.call('ZCARD', k.dead), redis.call('ZCARD', k.parked),
  tonumber(redis.call('HGET', k.n, 'expired') or '0'), paused and 1 or 0, others}
