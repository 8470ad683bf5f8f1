-- Replace a pool's document only if nobody changed it since it was read (check and set).
-- KEYS: 1 doc, 2 version ; ARGV: 1 the version read, 2 the new document (JSON)
-- Returns the new version, or false when the document moved (the caller reads again and retries).
local version = redis.call('GET', KEYS[2]) or '0'
if version ~= ARGV[1] then
  return false
end
redis.call('SET', KEYS[1], ARGV[2])
return redis.call('INCR', KEYS[2])
