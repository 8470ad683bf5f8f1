-- Count one use and move the round-robin cursor, atomically.
-- KEYS: 1 counts (hash), 2 cursor ; ARGV: 1 credential id
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('SET', KEYS[2], ARGV[1])
return 1
