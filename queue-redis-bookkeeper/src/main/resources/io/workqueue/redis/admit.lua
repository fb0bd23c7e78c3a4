-- admit: admits leased tasks to their concurrency groups. For each index the worker holds a lease
-- on (single or batch, past its deadline but not taken over counts) whose lease holds no group
-- slot yet: when the group holds fewer slots than n.groupLimit (or the limit is 0, none), the
-- lease takes a slot (its value gets "|<group>", slots[group] + 1) and the index is admitted;
-- else the lease is dropped (record, deadline, holder entry or batch count) and the index is
-- parked in the group, its stored delivery count back to the lease's deliveries - 1.
--
-- KEYS[1..16]  every key of the queue, in the order of QueueKeys.all() (prelude: queueKeys)
-- ARGV[1]  worker
-- ARGV[2]  index   the first index, ARGV[3] its group; ARGV[4], ARGV[5] the next pair, ...
--                  (ascending indices; group names hold no '|', checked by the caller)
-- Returns  the indices admitted, and those whose lease holds a slot already (a recovered lease).
local k = queueKeys(KEYS)
local worker = ARGV[1]
local limit = nil
local counts = {}
local admitted = {}
for i = 2, #ARGV, 2 do
  local index = ARGV[i]
  local group = ARGV[i + 1]
  local value = heldLease(k, worker, index)
  if value then
    local w, d, n, mode, slot = parseLease(value)
    if slot then
      admitted[#admitted + 1] = tonumber(index) -- holds a slot already (a recovered lease)
    else
      if limit == nil then
        limit = groupLimit(k)
      end
      if counts[group] == nil then
        counts[group] = tonumber(redis.call('HGET', k.slots, group) or '0')
      end
      if limit == 0 or counts[group] < limit then
        redis.call('HSET', k.lease, index, leaseValue(w, d, n, mode, group))
        redis.call('HINCRBY', k.slots, group, 1)
        counts[group] = counts[group] + 1
        admitted[#admitted + 1] = tonumber(index)
      else
        endLease(k, index, value)
        local count = n - 1
        if count < 0 then
          count = 0
        end
        redis.call('ZADD', k.parked, 0, group .. '|' .. pad(tonumber(index)))
        setAside(k, index, 'p|' .. fmt(count) .. '|' .. group)
      end
    end
  end
end
return admitted
