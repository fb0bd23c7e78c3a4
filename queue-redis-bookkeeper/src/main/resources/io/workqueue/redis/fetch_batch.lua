-- fetch_batch: leases up to ARGV[5] tasks to a worker on the batch path, in this order:
--   1. nothing while the queue is not initialized ({-1}) or paused ({0});
--   2. expired leases, earliest deadline first (ties: lowest index), each to exactly this worker
--      with a fresh deadline and deliveries + 1 (recovered; a group slot stays with the lease);
--   3. after moving due delayed indices to the ready set, lane by lane (URGENT, HIGH, NORMAL, LOW,
--      BULK): the lane's ready indices behind its pointer (deliveries = stored count + 1), then the
--      indices its pointer serves (prelude: atPointer), in index order;
--   4. when a lane's lowest pending index stayed uncommitted for the grace period and blocks its
--      pointer: that hole, for the caller to resolve (the leases so far are kept); a younger
--      pending index only blocks its own lane.
-- Batch leases are held by index, not as the worker's single-task lease: the lease value is
-- flagged "b", the worker's count in the batch hash goes up, and its holder entry is dropped when
-- it pointed at a leased index.
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- ARGV[1]  worker
-- ARGV[2]  now       the caller's time, epoch ms
-- ARGV[3]  deadline  now + time to recover, epoch ms (the deadline of every lease of the batch)
-- ARGV[4]  grace     the hole grace period, ms
-- ARGV[5]  max       how many at most, 1 or more (checked by the caller)
-- Returns  {hole index or 0, then per lease: index, deliveries, recovered 0|1, group or ''};
--          {-1} when the queue is not initialized; {-2} when nothing was leased yet but the step
--          budget ran out (the pointers kept their progress: call again).
--
-- Cost: O(max log n); the pointers step over at most STEP_LIMIT indices; no command reads all
-- leases, all workers or the backlog.
local k = queueKeys(KEYS)
local worker = ARGV[1]
local deadline = ARGV[3]
local max = tonumber(ARGV[5])

local init, paused, lanes = readLanes(k)
if not init then
  return {-1}
end
if paused then
  return {0}
end
local out = {0}
local count = 0
local holderIndex = redis.call('HGET', k.holder, worker)

-- Written in bulk at the end: one HSET, one ZADD and one HINCRBY for the whole batch.
local leaseArgs = {}
local deadlineArgs = {}

local function record(index, deliveries, recovered, group)
  leaseArgs[#leaseArgs + 1] = index
  leaseArgs[#leaseArgs + 1] = leaseValue(worker, deadline, deliveries, 'b', group)
  deadlineArgs[#deadlineArgs + 1] = deadline
  deadlineArgs[#deadlineArgs + 1] = pad(tonumber(index))
  if holderIndex == index then
    redis.call('HDEL', k.holder, worker) -- its own single-task lease, or a stale pointer at it
    holderIndex = nil
  end
  out[#out + 1] = tonumber(index)
  out[#out + 1] = deliveries
  out[#out + 1] = recovered
  out[#out + 1] = group or ''
  count = count + 1
end

-- 2. Expired leases, one at a time (each regranted lease leaves the expired range).
while count < max do
  local expired = redis.call('ZRANGEBYSCORE', k.deadline, '-inf', ARGV[2], 'LIMIT', 0, 1)
  if #expired == 0 then
    break
  end
  local index = fmt(tonumber(expired[1]))
  local value = redis.call('HGET', k.lease, index)
  if value then
    local ow, _, n, mode, group = parseLease(value)
    if mode == 'b' and redis.call('HINCRBY', k.batch, ow, -1) <= 0 then
      redis.call('HDEL', k.batch, ow)
    end
    -- Regranted at once, so that the next ZRANGEBYSCORE moves on.
    redis.call('HSET', k.lease, index, leaseValue(worker, deadline, n + 1, 'b', group))
    redis.call('ZADD', k.deadline, deadline, expired[1])
    redis.call('HINCRBY', k.batch, worker, 1)
    if holderIndex == index then
      redis.call('HDEL', k.holder, worker)
      holderIndex = nil
    end
    out[#out + 1] = tonumber(index)
    out[#out + 1] = n + 1
    out[#out + 1] = 1
    out[#out + 1] = group or ''
    count = count + 1
  else
    -- Cannot happen while lease and deadline change together; heal it.
    redis.call('ZREM', k.deadline, expired[1])
  end
end

-- 3. and 4. Lane by lane, after moving due delayed indices to the ready set (also when the batch
-- is full already, as state() counts them).
local ctx = pointerContext(k, ARGV[2], ARGV[4])
if count < max then
  local function take(index, deliveries)
    record(index, deliveries, 0, false)
  end
  for _, lane in ipairs(SERVICE_ORDER) do
    local l = lanes[lane]
    if l and count < max then
      for _, index in ipairs(readyBehind(ctx, l, max - count)) do
        take(index, takeReady(k, index) + 1)
      end
      local outcome = 'full'
      local hole
      if count < max then
        outcome, hole = walkLane(ctx, l, max - count, take)
      end
      if outcome == 'hole' then
        out[1] = tonumber(hole)
        break
      end
      if outcome == 'limit' then
        if count == 0 then
          out[1] = -2
        end
        break
      end
    end
  end
  saveLanes(k, lanes)
  if #leaseArgs > 0 then
    redis.call('HSET', k.lease, unpack(leaseArgs))
    redis.call('ZADD', k.deadline, unpack(deadlineArgs))
    redis.call('HINCRBY', k.batch, worker, fmt(#leaseArgs / 2))
  end
end
return out
