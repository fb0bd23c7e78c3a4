-- pointer: the fetch pointers, lane by lane; shared by fetch, fetch_batch and state. LuaScript puts
-- this text after prelude.lua in front of those scripts. Like the prelude it touches no key by
-- itself: its functions take the script's key table k or a fetch context (pointerContext).

local SERVICE_ORDER = {1, 2, 0, 3, 4} -- lane numbers: URGENT, HIGH, NORMAL, LOW, BULK
local STEP_LIMIT = 1000 -- indices the pointer may step over in one call; the next call goes on
local PROMOTE_LIMIT = 1000 -- due delayed indices moved to the ready set in one call

local function newLane(lane, allocated, fetched, replay, skip)
  local base = lane * LANE
  fetched = tonumber(fetched or base)
  return {lane = lane, base = base, allocated = tonumber(allocated or base), fetched = fetched,
    start = fetched, replay = tonumber(replay or base), skip = tonumber(skip or base)}
end

-- Reads hash n: whether the queue is initialized, whether it is paused, and the counters of every
-- lane in use (NORMAL always; the others listed in n.lanes, read by a second HMGET only when there
-- are any).
local function readLanes(k)
  local v = redis.call('HMGET', k.n, 'init', 'paused', 'allocated', 'fetched', 'replay', 'skip',
    'lanes')
  local lanes = {[0] = newLane(0, v[3] or nil, v[4] or nil, v[5] or nil, v[6] or nil)}
  if v[7] then
    local fields = {}
    local used = {}
    for digit in string.gmatch(v[7], '%d') do
      local lane = tonumber(digit)
      used[#used + 1] = lane
      fields[#fields + 1] = laneField('allocated', lane)
      fields[#fields + 1] = laneField('fetched', lane)
      fields[#fields + 1] = laneField('replay', lane)
      fields[#fields + 1] = laneField('skip', lane)
    end
    if #fields > 0 then
      local c = redis.call('HMGET', k.n, unpack(fields))
      for i, lane in ipairs(used) do
        local j = 4 * (i - 1)
        lanes[lane] = newLane(lane, c[j + 1] or nil, c[j + 2] or nil, c[j + 3] or nil,
          c[j + 4] or nil)
      end
    end
  end
  return v[1] ~= false, v[2] ~= false, lanes
end
-- Writes the pointers that moved, in one HSET.
local function saveLanes(k, lanes)
  local args = {}
  for lane = 0, 4 do
    local l = lanes[lane]
    if l and l.fetched ~= l.start then
      args[#args + 1] = laneField('fetched', lane)
      args[#args + 1] = fmt(l.fetched)
      l.start = l.fetched
    end
  end
  if #args > 0 then
    redis.call('HSET', k.n, unpack(args))
  end
end

-- Moves due delayed indices (due <= now) to the ready set, earliest first, at most PROMOTE_LIMIT;
-- their info (stored delivery count) stays as it is.
local function promote(k, now)
  local due = redis.call('ZRANGEBYSCORE', k.delayed, '-inf', now, 'LIMIT', 0, PROMOTE_LIMIT)
  if #due == 0 then
    return 0
  end
  redis.call('ZREM', k.delayed, unpack(due))
  local args = {}
  for _, p in ipairs(due) do
    local index = fmt(tonumber(p))
    args[#args + 1] = index
    args[#args + 1] = index
  end
  redis.call('ZADD', k.ready, unpack(args))
  return #due
end

-- What one fetch call needs to walk the pointers: the keys, the time, the grace period, the step
-- budget, and which of the sets the pointer consults are non-empty (one EXISTS when none is: the
-- queue uses no delays, groups or dead letters and has no skipped hole). Promotes due delayed
-- indices first.
local function pointerContext(k, now, grace)
  local ctx = {k = k, now = tonumber(now), grace = tonumber(grace), steps = STEP_LIMIT,
    skipped = false, info = false, ready = false}
  local any = redis.call('EXISTS', k.skipped, k.info)
  if any > 0 then
    ctx.skipped = redis.call('EXISTS', k.skipped) == 1
    if ctx.skipped then
      ctx.info = any == 2
    else
      ctx.info = true
    end
    if ctx.info then
      promote(k, now)
      ctx.ready = redis.call('EXISTS', k.ready) == 1
    end
  end
  return ctx
end

-- Up to max indices of a lane's ready set behind its pointer (lowest first): those come before any
-- index the pointer hands out.
local function readyBehind(ctx, lane, max)
  if not ctx.ready or lane.fetched <= lane.base then
    return {}
  end
  return redis.call('ZRANGEBYSCORE', ctx.k.ready, '(' .. fmt(lane.base), fmt(lane.fetched),
    'LIMIT', 0, max)
end

-- The lane's committed bound: below its lowest pending index, else its allocated counter.
local function laneCommitted(ctx, lane)
  if lane.committed == nil then
    local lowest = redis.call('ZRANGEBYSCORE', ctx.k.pending, '(' .. fmt(lane.base),
      '(' .. fmt(lane.base + LANE), 'WITHSCORES', 'LIMIT', 0, 1)
    if #lowest > 0 then
      lane.lowest = lowest
      lane.committed = tonumber(lowest[2]) - 1
    else
      lane.committed = lane.allocated
    end
  end
end

-- What the pointer does at a committed index it just reached: returns deliveries and fresh (1 or
-- 0) when it serves the index, nil when it steps over it (leased, skipped, parked, dead, or
-- delayed and not due). leased and info are what the caller read for the index.
local function atPointer(ctx, lane, index, leased, info)
  if leased then
    return nil
  end
  if info then
    local kind, count = parseInfo(info)
    if kind ~= 'w' then
      return nil -- parked or dead
    end
    -- Handed out by the pointer: fresh, unless it is being replayed after a rebuild.
    local fresh = 1
    if lane.fetched <= lane.replay then
      fresh = 0
    end
    if redis.call('ZSCORE', ctx.k.ready, index) then
      redis.call('ZREM', ctx.k.ready, index)
      unsetAside(ctx.k, index)
      return count + 1, fresh
    end
    local p = pad(tonumber(index))
    local due = redis.call('ZSCORE', ctx.k.delayed, p)
    if due and tonumber(due) <= ctx.now then
      redis.call('ZREM', ctx.k.delayed, p)
      unsetAside(ctx.k, index)
      return count + 1, fresh
    end
    return nil -- not due yet: it comes back through the ready set
  end
  if ctx.skipped and redis.call('ZSCORE', ctx.k.skipped, index) then
    return nil
  end
  if lane.fetched <= lane.replay then
    return 2, 0 -- a redelivery after a rebuild
  end
  return 1, 1
end

-- Where a lane stands once its pointer reached the committed bound: 'hole' and the index when its
-- lowest pending index is older than the grace period, else 'none' (empty, or blocked for now).
local function laneEnd(ctx, lane)
  if lane.lowest then
    local allocatedAt = tonumber(string.match(lane.lowest[1], '|(%-?%d+)$'))
    if ctx.now >= allocatedAt + ctx.grace then
      return 'hole', lane.lowest[2]
    end
  end
  return 'none'
end

-- Walks a lane's pointer and hands up to need indices to take(index, deliveries, fresh), reading
-- the lease and info hashes a window at a time. Returns 'full' when need were taken, 'limit' when
-- the step budget ran out, else what laneEnd says.
local function walkLane(ctx, lane, need, take)
  laneCommitted(ctx, lane)
  local taken = 0
  while lane.fetched < lane.committed do
    if lane.fetched >= lane.replay and lane.fetched < lane.skip then
      lane.fetched = lane.skip -- indices a rebuild found no task for
    else
      -- One index when serving the next one is likely (the single-task fast path: one HEXISTS);
      -- wider windows once the pointer has been stepping over indices.
      local stepped = STEP_LIMIT - ctx.steps
      local hi = math.min(lane.committed, lane.fetched + (need - taken) + math.min(stepped, 256))
      if lane.fetched < lane.replay and hi > lane.replay and lane.replay < lane.skip then
        hi = lane.replay -- the window stops where the pointer jumps
      end
      local fields = {}
      for i = lane.fetched + 1, hi do
        fields[#fields + 1] = fmt(i)
      end
      local leased, infos
      if #fields == 1 then
        leased = {redis.call('HEXISTS', ctx.k.lease, fields[1]) == 1}
        if ctx.info and not leased[1] then
          infos = {redis.call('HGET', ctx.k.info, fields[1])}
        end
      else
        leased = redis.call('HMGET', ctx.k.lease, unpack(fields))
        if ctx.info then
          infos = redis.call('HMGET', ctx.k.info, unpack(fields))
        end
      end
      for j, index in ipairs(fields) do
        lane.fetched = lane.fetched + 1
        local deliveries, fresh = atPointer(ctx, lane, index, leased[j], infos and infos[j])
        if deliveries then
          take(index, deliveries, fresh)
          taken = taken + 1
          if taken >= need then
            return 'full'
          end
        else
          ctx.steps = ctx.steps - 1
          if ctx.steps <= 0 then
            return 'limit'
          end
        end
      end
    end
  end
  return laneEnd(ctx, lane)
end
