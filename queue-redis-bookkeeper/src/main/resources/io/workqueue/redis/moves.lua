-- moves: ending leases, moving indices between the delayed, ready and parked sets, and group
-- slots; shared by the scripts that end leases or move indices (ack, ack_held, release,
-- dead_letter, admit, configure, requeue). LuaScript puts this text after prelude.lua in front of
-- those scripts. Like the prelude it touches no key by itself: its functions take the script's key
-- table k (queueKeys).

-- The lease value of index when worker holds it (past its deadline but not taken over counts),
-- else nil.
local function heldLease(k, worker, index)
  local value = redis.call('HGET', k.lease, index)
  if value and parseLease(value) == worker then
    return value
  end
  return nil
end

-- Sets an index aside (delayed, ready, parked or dead) with its info value.
local function setAside(k, index, value)
  redis.call('HSET', k.info, index, value)
  redis.call('ZADD', k.aside, index, index)
end

-- Puts an index in the ready set, to be leased with deliveries count + 1.
local function toReady(k, index, count)
  redis.call('ZADD', k.ready, index, index)
  setAside(k, index, 'w|' .. fmt(count))
end

-- Puts an index in the delayed set until due (ms, a string), to be leased with deliveries count + 1.
local function toDelayed(k, index, count, due)
  redis.call('ZADD', k.delayed, due, pad(tonumber(index)))
  setAside(k, index, 'w|' .. fmt(count))
end

local function groupLimit(k)
  return tonumber(redis.call('HGET', k.n, 'groupLimit') or '0')
end

-- Moves up to max of a group's lowest parked indices to the ready set, keeping their stored
-- delivery counts; returns how many moved. A group's members are "<group>|<16 digits>", between
-- "[<group>|" and "(<group>|:" (':' sorts right after '9'; group names hold no '|').
local function unpark(k, group, max)
  if max <= 0 then
    return 0
  end
  local members = redis.call('ZRANGEBYLEX', k.parked, '[' .. group .. '|', '(' .. group .. '|:',
    'LIMIT', 0, max)
  for _, member in ipairs(members) do
    redis.call('ZREM', k.parked, member)
    local index = fmt(tonumber(string.sub(member, #group + 2)))
    local value = redis.call('HGET', k.info, index)
    local count = 0
    if value then
      local _, c = parseInfo(value)
      count = c
    end
    toReady(k, index, count)
  end
  return #members
end

-- Frees one slot of a group; when the group then has room, its lowest parked index moves to the
-- ready set. Returns how many indices were unparked (0 or 1).
local function freeSlot(k, group)
  local held = redis.call('HINCRBY', k.slots, group, -1)
  if held <= 0 then
    redis.call('HDEL', k.slots, group)
    held = 0
  end
  local limit = groupLimit(k)
  if limit == 0 or held < limit then
    return unpark(k, group, 1)
  end
  return 0
end

-- Ends a lease whose value was read: drops the record, its deadline, the holder entry or the batch
-- count, and frees its group slot. Returns how many indices freeing the slot unparked.
local function endLease(k, index, value)
  local w, _, _, mode, group = parseLease(value)
  redis.call('HDEL', k.lease, index)
  redis.call('ZREM', k.deadline, pad(tonumber(index)))
  if mode == 'b' then
    if redis.call('HINCRBY', k.batch, w, -1) <= 0 then
      redis.call('HDEL', k.batch, w)
    end
  elseif redis.call('HGET', k.holder, w) == index then
    redis.call('HDEL', k.holder, w)
  end
  if group then
    return freeSlot(k, group)
  end
  return 0
end
