-- fetch: hands a lease to a worker on the single-task path, in this order:
--   1. nothing while the queue is not initialized ({3}) or paused ({0});
--   2. its own unexpired lease on the single-task path again (fresh = 0);
--   3. else the expired lease with the earliest deadline (ties: lowest index), to exactly this
--      worker, with a fresh deadline and deliveries + 1 (fresh = 0, recovered = 1); a group slot
--      it holds stays with it;
--   4. else, after moving due delayed indices to the ready set, lane by lane (URGENT, HIGH, NORMAL,
--      LOW, BULK): the lowest ready index behind the lane's pointer (deliveries = stored count + 1,
--      fresh = 0), else the next index the pointer serves (prelude: atPointer), else a hole when
--      the lane's lowest pending index stayed uncommitted for the grace period; a younger pending
--      index only blocks its own lane;
--   5. else nothing.
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- ARGV[1]  worker
-- ARGV[2]  now       the caller's time, epoch ms
-- ARGV[3]  deadline  now + time to recover, epoch ms
-- ARGV[4]  grace     the hole grace period, ms
-- Returns  {0} nothing; {1, index, deadline ms, deliveries, fresh 0|1, recovered 0|1, group or ''}
--          a lease; {2, index} a hole; {3} the queue is not initialized; {4} nothing yet, the step
--          budget ran out (the pointer kept its progress: call again).
--
-- Cost: O(log n) per command; the pointer steps over at most STEP_LIMIT indices (skipped, leased,
-- parked, dead, delayed), and a queue that uses none of these costs one EXISTS for all of them.
-- No command here reads all leases, all workers or the backlog.
local k = queueKeys(KEYS)
local worker = ARGV[1]
local now = tonumber(ARGV[2])
local deadline = ARGV[3]

local init, paused, lanes = readLanes(k)
if not init then
  return {3}
end
if paused then
  return {0}
end

-- Leases an index to the worker on the single-task path, taking it over from any earlier holder.
local function grant(index, deliveries, old, group)
  if old then
    local ow, _, _, mode = parseLease(old)
    if mode == 'b' and redis.call('HINCRBY', k.batch, ow, -1) <= 0 then
      redis.call('HDEL', k.batch, ow)
    end
  end
  redis.call('HSET', k.lease, index, leaseValue(worker, deadline, deliveries, 's', group))
  redis.call('ZADD', k.deadline, deadline, pad(tonumber(index)))
  redis.call('HSET', k.holder, worker, index)
end

-- 2. The worker's own lease on the single-task path, while it is not expired.
local held = redis.call('HGET', k.holder, worker)
if held then
  local value = redis.call('HGET', k.lease, held)
  local w, d, n, mode, group
  if value then
    w, d, n, mode, group = parseLease(value)
  end
  if not value or w ~= worker then
    redis.call('HDEL', k.holder, worker) -- acknowledged, or taken over by another worker
  elseif now < tonumber(d) then
    return {1, tonumber(held), tonumber(d), n, 0, 0, group or ''}
  end
end

-- 3. The expired lease with the earliest deadline, to exactly this worker.
local expired = redis.call('ZRANGEBYSCORE', k.deadline, '-inf', ARGV[2], 'LIMIT', 0, 1)
if #expired > 0 then
  local index = fmt(tonumber(expired[1]))
  local value = redis.call('HGET', k.lease, index)
  if value then
    local _, _, n, _, group = parseLease(value)
    grant(index, n + 1, value, group)
    return {1, tonumber(index), tonumber(deadline), n + 1, 0, 1, group or ''}
  end
  -- Cannot happen while lease and deadline change together; heal it and go on.
  redis.call('ZREM', k.deadline, expired[1])
end

-- 4. Lane by lane: ready indices behind the pointer, then the pointer.
local ctx = pointerContext(k, ARGV[2], ARGV[4])
local result = {0}
local served, servedDeliveries, servedFresh
local function take(index, deliveries, fresh)
  served, servedDeliveries, servedFresh = index, deliveries, fresh
end
for _, lane in ipairs(SERVICE_ORDER) do
  local l = lanes[lane]
  if l then
    local ready = readyBehind(ctx, l, 1)
    if #ready > 0 then
      take(ready[1], takeReady(k, ready[1]) + 1, 0)
      break
    end
    local outcome, hole = walkLane(ctx, l, 1, take)
    if outcome == 'hole' then
      result = {2, tonumber(hole)}
    elseif outcome == 'limit' then
      result = {4}
    end
    if outcome ~= 'none' then
      break -- served ('full'), a hole, or the step budget is spent ('limit')
    end
  end
end
saveLanes(k, lanes)
if served then
  grant(served, servedDeliveries, false, false)
  return {1, tonumber(served), tonumber(deadline), servedDeliveries, servedFresh, 0, ''}
end
return result
