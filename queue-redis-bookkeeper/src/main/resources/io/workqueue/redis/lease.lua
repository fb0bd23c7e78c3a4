-- lease: reads the lease a worker holds on the single-task path, if any and not taken over.
-- Reads only; a script so that the two reads are one consistent step.
--
-- KEYS[1]  holder  hash: worker -> index of its lease on the single-task path
-- KEYS[2]  lease   hash: index -> "<worker>|<deadline ms>|<deliveries>|<s or b>[|<group>]"
-- ARGV[1]  worker
-- Returns  {index, deadline ms, deliveries}, or an empty array when the worker holds none.
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held then
  return {}
end
local value = redis.call('HGET', KEYS[2], held)
if not value then
  return {}
end
local w, d, n = parseLease(value)
if w ~= ARGV[1] then
  return {}
end
return {tonumber(held), tonumber(d), n}
