-- fetch_batch: leases up to ARGV[5] tasks to a worker on the batch path, in this order:
--   1. expired leases, earliest deadline first (ties: lowest index), each to exactly this worker
--      with a fresh deadline and deliveries + 1;
--   2. then fresh committed indices after the fetch pointer, stepping over skipped holes and
--      indices still leased (deliveries 1);
--   3. when the batch came up short: the lowest pending index, if it stayed uncommitted for the
--      grace period (a hole for the caller to resolve).
-- Batch leases are held by index, not as the worker's single-task lease: the lease value is
-- flagged "b", the worker's count in the batch hash goes up, and its holder entry is dropped when
-- it pointed at a recovered index.
--
-- KEYS[1]  n         hash: allocated, fetched
-- KEYS[2]  pending   zset: score = index, member = "<index>|<allocation time ms>"
-- KEYS[3]  skipped   zset: member = index, score = when it was skipped (ms)
-- KEYS[4]  lease     hash: index -> "<worker>|<deadline ms>|<deliveries>|<s or b>"
-- KEYS[5]  deadline  zset: member = index zero-padded to 16 digits, score = deadline ms
-- KEYS[6]  holder    hash: worker -> index of its lease on the single-task path
-- KEYS[7]  batch     hash: worker -> how many batch leases it holds
-- ARGV[1]  worker
-- ARGV[2]  now       the caller's time, epoch ms
-- ARGV[3]  deadline  now + time to recover, epoch ms (the deadline of every lease of the batch)
-- ARGV[4]  grace     the hole grace period, ms
-- ARGV[5]  max       how many at most, 1 or more (checked by the caller)
-- Returns  {hole index or 0, index, deliveries, index, deliveries, ...}; {-1} when the queue is not
--          initialized. After a rebuild, indices up to n.replay are redeliveries (deliveries 2),
--          and the pointer then jumps to n.skip.
--
-- Cost: O(max log n); no command reads all leases, all workers or the backlog.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return {-1}
end
local worker = ARGV[1]
local now = tonumber(ARGV[2])
local deadline = ARGV[3]
local grace = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
local out = {0}
local count = 0

local function grant(index, deliveries, old)
  if old then
    local ow, mode = string.match(old, '^(.*)|%-?%d+|%d+|([sb])$')
    if mode == 'b' and redis.call('HINCRBY', KEYS[7], ow, -1) <= 0 then
      redis.call('HDEL', KEYS[7], ow)
    end
  end
  redis.call('HSET', KEYS[4], index,
    worker .. '|' .. deadline .. '|' .. string.format('%d', deliveries) .. '|b')
  redis.call('ZADD', KEYS[5], deadline, string.format('%016d', tonumber(index)))
  redis.call('HINCRBY', KEYS[7], worker, 1)
  if redis.call('HGET', KEYS[6], worker) == index then
    redis.call('HDEL', KEYS[6], worker) -- its own single-task lease, recovered into a batch
  end
  out[#out + 1] = tonumber(index)
  out[#out + 1] = deliveries
  count = count + 1
end

-- 1. Expired leases, one at a time (each regranted lease leaves the expired range).
while count < max do
  local expired = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[2], 'LIMIT', 0, 1)
  if #expired == 0 then
    break
  end
  local index = string.format('%d', tonumber(expired[1]))
  local value = redis.call('HGET', KEYS[4], index)
  if value then
    local n = tonumber(string.match(value, '|(%d+)|[sb]$'))
    grant(index, n + 1, value)
  else
    -- Cannot happen while lease and deadline change together; heal it.
    redis.call('ZREM', KEYS[5], expired[1])
  end
end

-- 2. Fresh committed indices.
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
-- Written in bulk: one HMGET per window of candidates, then one HSET, one ZADD and one HINCRBY
-- for the whole batch, instead of several commands per task.
local skippedAny = redis.call('ZCARD', KEYS[3]) > 0
local holderIndex = redis.call('HGET', KEYS[6], worker)
local leaseArgs = {}
local deadlineArgs = {}
local granted = 0
while count < max and fetched < committed do
  if fetched >= replay and fetched < skip then
    fetched = skip -- indices a rebuild found no task for
  else
    local hi = math.min(committed, fetched + (max - count))
    if fetched < replay and hi > replay and replay < skip then
      hi = replay -- the window stops where the pointer jumps
    end
    local fields = {}
    for i = fetched + 1, hi do
      fields[#fields + 1] = string.format('%d', i)
    end
    local leased = redis.call('HMGET', KEYS[4], unpack(fields))
    for k, index in ipairs(fields) do
      fetched = tonumber(index)
      local free = not leased[k]
      if free and skippedAny and redis.call('ZSCORE', KEYS[3], index) then
        free = false
      end
      if free then
        local deliveries = 1
        if fetched <= replay then
          deliveries = 2
        end
        leaseArgs[#leaseArgs + 1] = index
        leaseArgs[#leaseArgs + 1] = worker .. '|' .. deadline .. '|' .. deliveries .. '|b'
        deadlineArgs[#deadlineArgs + 1] = deadline
        deadlineArgs[#deadlineArgs + 1] = string.format('%016d', fetched)
        if holderIndex == index then
          redis.call('HDEL', KEYS[6], worker) -- a stale single-task pointer at this index
          holderIndex = nil
        end
        out[#out + 1] = fetched
        out[#out + 1] = deliveries
        count = count + 1
        granted = granted + 1
      end
    end
  end
end
if granted > 0 then
  redis.call('HSET', KEYS[4], unpack(leaseArgs))
  redis.call('ZADD', KEYS[5], unpack(deadlineArgs))
  redis.call('HINCRBY', KEYS[7], worker, granted)
end
if fetched ~= start then
  redis.call('HSET', KEYS[1], 'fetched', string.format('%d', fetched))
end

-- 3. A hole, when the batch came up short.
if count < max and #lowest > 0 then
  local allocatedAt = tonumber(string.match(lowest[1], '|(%-?%d+)$'))
  if now >= allocatedAt + grace then
    out[1] = tonumber(lowest[2])
  end
end
return out
