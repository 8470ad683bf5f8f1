-- The state of one pool, in one round trip.
-- KEYS: 1 doc (JSON), 2 counts (hash id -> uses), 3 cursor, 4 version
-- ARGV: 1 the version the caller already has
-- Returns {version, cursor or "", counts as a flat list, doc JSON when the version moved (else false)}
local version = redis.call('GET', KEYS[4]) or '0'
local doc = false
if version ~= ARGV[1] then
  doc = redis.call('GET', KEYS[1]) or ''
end
return {version, redis.call('GET', KEYS[3]) or '', redis.call('HGETALL', KEYS[2]), doc}
