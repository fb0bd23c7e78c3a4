-- fetch: hands a lease to a worker, in this order:
--   1. its own unexpired lease on the single-task path again (fresh = 0);
--   2. else the expired lease with the earliest deadline (ties: lowest index), to exactly this
--      worker, with a fresh deadline and deliveries + 1 (fresh = 0);
--   3. else the next committed index after the fetch pointer, stepping over skipped holes and
--      indices still leased (fresh = 1, deliveries 1; after a rebuild, indices up to n.replay are
--      redeliveries: fresh = 0, deliveries 2, and the pointer then jumps to n.skip);
--   4. else the lowest pending index, when it stayed uncommitted for the grace period (a hole);
--   5. else nothing.
--
-- KEYS[1]  n         hash: allocated, fetched
-- KEYS[2]  pending   zset: score = index, member = "<index>|<allocation time ms>"
-- KEYS[3]  skipped   zset: member = index, score = when it was skipped (ms)
-- KEYS[4]  lease     hash: index -> "<worker>|<deadline ms>|<deliveries>|<s or b>" (single or batch)
-- KEYS[5]  deadline  zset: member = index zero-padded to 16 digits, score = deadline ms
-- KEYS[6]  holder    hash: worker -> index of its lease on the single-task path
-- KEYS[7]  batch     hash: worker -> how many batch leases it holds
-- ARGV[1]  worker
-- ARGV[2]  now       the caller's time, epoch ms
-- ARGV[3]  deadline  now + time to recover, epoch ms
-- ARGV[4]  grace     the hole grace period, ms
-- Returns  {0} nothing; {1, index, deadline ms, deliveries, fresh 0|1} a lease; {2, index} a hole;
--          {3} the queue is not initialized.
--
-- Cost: O(log n) in leases and pending indices; step 3 steps over at most the skipped and still
-- leased indices right after the pointer. No command here reads all leases or all workers.
local worker = ARGV[1]
local now = tonumber(ARGV[2])
local deadline = ARGV[3]
local grace = tonumber(ARGV[4])

local function parse(value)
  local w, d, n, mode = string.match(value, '^(.*)|(%-?%d+)|(%d+)|([sb])$')
  return w, tonumber(d), tonumber(n), mode
end

-- Leases an index to the worker on the single-task path, taking it over from any earlier holder.
local function grant(index, deliveries, old)
  if old then
    local ow, _, _, mode = parse(old)
    if mode == 'b' and redis.call('HINCRBY', KEYS[7], ow, -1) <= 0 then
      redis.call('HDEL', KEYS[7], ow)
    end
  end
  redis.call('HSET', KEYS[4], index,
    worker .. '|' .. deadline .. '|' .. string.format('%d', deliveries) .. '|s')
  redis.call('ZADD', KEYS[5], deadline, string.format('%016d', tonumber(index)))
  redis.call('HSET', KEYS[6], worker, index)
end

if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return {3}
end

-- 1. The worker's own lease on the single-task path, while it is not expired.
local held = redis.call('HGET', KEYS[6], worker)
if held then
  local value = redis.call('HGET', KEYS[4], held)
  local w, d, n
  if value then
    w, d, n = parse(value)
  end
  if not value or w ~= worker then
    redis.call('HDEL', KEYS[6], worker) -- acknowledged, or taken over by another worker
  elseif now < d then
    return {1, tonumber(held), d, n, 0}
  end
end

-- 2. The expired lease with the earliest deadline, to exactly this worker.
local expired = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[2], 'LIMIT', 0, 1)
if #expired > 0 then
  local index = string.format('%d', tonumber(expired[1]))
  local value = redis.call('HGET', KEYS[4], index)
  if value then
    local _, _, n = parse(value)
    grant(index, n + 1, value)
    return {1, tonumber(index), tonumber(deadline), n + 1, 0}
  end
  -- Cannot happen while lease and deadline change together; heal it and go on to step 3.
  redis.call('ZREM', KEYS[5], expired[1])
end

-- 3. The next committed index, stepping over skipped holes and indices still leased.
local counters = redis.call('HMGET', KEYS[1], 'allocated', 'fetched', 'replay', 'skip')
local allocated = tonumber(counters[1] or '0')
local fetched = tonumber(counters[2] or '0')
local replay = tonumber(counters[3] or '0')
local skip = tonumber(counters[4] or '0')
local lowest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local committed = allocated
if #lowest > 0 then
  committed = tonumber(lowest[2]) - 1
end
local start = fetched
while fetched < committed do
  if fetched >= replay and fetched < skip then
    fetched = skip -- indices a rebuild found no task for
  else
    fetched = fetched + 1
    local index = string.format('%d', fetched)
    if not redis.call('ZSCORE', KEYS[3], index) and redis.call('HEXISTS', KEYS[4], index) == 0 then
      redis.call('HSET', KEYS[1], 'fetched', index)
      if fetched <= replay then
        grant(index, 2, false)
        return {1, fetched, tonumber(deadline), 2, 0}
      end
      grant(index, 1, false)
      return {1, fetched, tonumber(deadline), 1, 1}
    end
  end
end
if fetched ~= start then
  redis.call('HSET', KEYS[1], 'fetched', string.format('%d', fetched))
end

-- 4. A pending index blocking the pointer for longer than the grace period.
if #lowest > 0 then
  local allocatedAt = tonumber(string.match(lowest[1], '|(%-?%d+)$'))
  if now >= allocatedAt + grace then
    return {2, tonumber(lowest[2])}
  end
end
return {0}
