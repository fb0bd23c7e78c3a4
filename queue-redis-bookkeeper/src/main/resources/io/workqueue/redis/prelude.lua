-- prelude: constants and functions shared by the bookkeeper's scripts. LuaScript puts this text in
-- front of every script before loading it (then pointer.lua for the scripts that walk the fetch
-- pointers, moves.lua for those that end leases or move indices), so each script stays one
-- self-contained chunk with one SHA-1. It touches no key by itself: its functions take the
-- script's key table k (queueKeys) as their first argument, so they only use keys a script
-- passes. Each call of a script creates its functions again, which is why the parts are split:
-- a script defines only the parts it uses.
--
-- Indices are Lua numbers (doubles), exact up to 2^53; every index sent to Redis or written into a
-- value goes through fmt or pad (Lua's tostring prints numbers of 15 digits and more as 1e+15).
-- Indices kept as strings are canonical decimals (fmt), as Redis returns them.

local LANE = 1000000000000000 -- indices per lane (Priority.LANE_SIZE); lane L owns (L*LANE, (L+1)*LANE)

local function fmt(x)
  return string.format('%d', x)
end

local function pad(x)
  return string.format('%016d', x)
end

-- The name of a lane's counter field in hash n: NORMAL (0) keeps the plain names.
local function laneField(name, lane)
  if lane == 0 then
    return name
  end
  return name .. ':' .. string.format('%d', lane)
end

-- Records in n.lanes (the digits of the lanes other than NORMAL in use, e.g. "13") that a lane is
-- used, on its first allocation; readLanes reads the counters of exactly those lanes.
local function markLane(n, lane)
  if lane ~= 0 then
    local used = redis.call('HGET', n, 'lanes') or ''
    local digit = string.format('%d', lane)
    if not string.find(used, digit, 1, true) then
      redis.call('HSET', n, 'lanes', used .. digit)
    end
  end
end

-- The keys of a script that takes all of them, in the order of QueueKeys.all().
local function queueKeys(keys)
  return {n = keys[1], pending = keys[2], skipped = keys[3], kept = keys[4], lease = keys[5],
    deadline = keys[6], holder = keys[7], batch = keys[8], completions = keys[9],
    delayed = keys[10], ready = keys[11], info = keys[12], aside = keys[13], parked = keys[14],
    dead = keys[15], slots = keys[16]}
end

-- A lease value "<worker>|<deadline ms>|<deliveries>|<s or b>[|<group>]": worker, deadline (the
-- string), deliveries (a number), mode, group (false when the lease holds no group slot).
local function parseLease(value)
  local w, d, n, mode = string.match(value, '^(.*)|(%-?%d+)|(%d+)|([sb])$')
  if w then
    return w, d, tonumber(n), mode, false
  end
  local gw, gd, gn, gmode, group = string.match(value, '^(.*)|(%-?%d+)|(%d+)|([sb])|([^|]+)$')
  return gw, gd, tonumber(gn), gmode, group
end

local function leaseValue(worker, deadline, deliveries, mode, group)
  local value = worker .. '|' .. deadline .. '|' .. fmt(deliveries) .. '|' .. mode
  if group then
    value = value .. '|' .. group
  end
  return value
end

-- An info value "w|<count>", "p|<count>|<group>" or "x|<deliveries>|<worker>": kind, count, extra.
local function parseInfo(value)
  local kind, count, extra = string.match(value, '^(%a)|(%d+)|?(.*)$')
  return kind, tonumber(count), extra
end

-- Takes an index out of info and aside (moves.lua's setAside puts it there).
local function unsetAside(k, index)
  redis.call('HDEL', k.info, index)
  redis.call('ZREM', k.aside, index)
end

-- Takes an index out of the ready set; returns its stored delivery count.
local function takeReady(k, index)
  local value = redis.call('HGET', k.info, index)
  redis.call('ZREM', k.ready, index)
  unsetAside(k, index)
  local count = 0
  if value then
    local _, c = parseInfo(value)
    count = c
  end
  return count
end

-- Signals, on the channels "<prefix>:{owner/service}:work" and ":done" (channel = the common start).
local function publishWork(channel)
  redis.call('PUBLISH', channel .. 'work', '1')
end

local function publishDone(channel, indices)
  if #indices > 0 then
    redis.call('PUBLISH', channel .. 'done', table.concat(indices, ','))
  end
end
