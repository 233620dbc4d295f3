package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts. Each declares every key it touches in KEYS, and the
// keys of each run share one hash tag (one place, see placement.go), so
// they run unchanged on Redis Cluster.
// Script.Run sends EVALSHA and falls back to EVAL when the server does not
// have the script cached (after a restart or SCRIPT FLUSH).

// insertScript stores a new record with its index entries, all at once.
//
//	KEYS: record, id, member set, customer set, expiry zset, member set's
//	      lock, customer set's lock
//	ARGV: encoded record, token hash (hex), ID, member ID, customer ID,
//	      TTL in milliseconds, expiry score (Unix microseconds), the cap on
//	      the member's records (0 for none)
//
// While an Edit holds the member's or the customer's lock it writes nothing
// and replies LOCKED; Insert waits and runs it again. When the member
// already has as many records as the cap it writes nothing and replies
// FULL; Insert then evicts and inserts in one optimistic transaction. A record or ID that is
// already stored is an error and writes nothing. The sets and the zset keep
// a TTL at least as long as any record they index, so an index entry never
// disappears before its record.
var insertScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[6]) == 1 or redis.call('EXISTS', KEYS[7]) == 1 then
  return redis.error_reply('LOCKED sessionstore: the member or customer is being edited')
end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply('ERR sessionstore: duplicate session')
end
local cap = tonumber(ARGV[8])
if cap > 0 and redis.call('SCARD', KEYS[3]) >= cap then
  return redis.error_reply('FULL sessionstore: the member is at the cap')
end
local ttl = tonumber(ARGV[6])
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'i', ARGV[3], 'm', ARGV[4], 'c', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[7], ARGV[2])
for i = 3, 5 do
  local t = redis.call('PTTL', KEYS[i])
  if t == -1 or (t >= 0 and t < ttl) then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return 1
`)

// unlockScript deletes the lock KEYS[1] if it still holds the token
// ARGV[1], that is, if its lease did not run out and pass to another edit.
var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// extendScript raises the TTL of each existing key in KEYS to ARGV[1]
// milliseconds unless it is already longer. Edit runs it inside its
// MULTI/EXEC when a Put lengthens a record's life.
var extendScript = goredis.NewScript(`
local ttl = tonumber(ARGV[1])
for i = 1, #KEYS do
  local t = redis.call('PTTL', KEYS[i])
  if t == -1 or (t >= 0 and t < ttl) then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return 0
`)

// selectIDScript reads a session by ID in one round trip: the ID key, then
// the data field of the record hash it names. Its reply is an array whose
// first element says what it found:
//
//	{0, error}        the ID key holds something other than a string
//	{1}               no ID key
//	{2, hash}         the ID key, but no record under that hash
//	{3, hash, error}  the record key holds something other than a hash
//	{4, hash, data}   the record's data
//
//	KEYS[1]: the ID key
//	ARGV[1]: the record key prefix (the record key without the hash);
//	ARGV[2]: the data field
//
// The record key is built in the script, which Redis Cluster allows
// because it has the ID key's hash tag, so it lives in the same slot.
var selectIDScript = goredis.NewScript(`
local h = redis.pcall('GET', KEYS[1])
if type(h) == 'table' and h.err then
  return {0, h.err}
end
if not h then
  return {1}
end
local d = redis.pcall('HGET', ARGV[1] .. h, ARGV[2])
if type(d) == 'table' and d.err then
  return {3, h, d.err}
end
if not d then
  return {2, h}
end
return {4, h, d}
`)

// purgeScript removes expired records with their index entries. A record
// is removed only if its expiry score is still at or before the cutoff, so
// one extended since it was picked stays.
//
//	KEYS[1]: expiry zset; then, for each full entry, 4 keys: record, id,
//	         member set, customer set; then, for each bare entry (one whose
//	         index fields could not be read), 1 key: record
//	ARGV[1]: cutoff (Unix microseconds); ARGV[2]: number of full entries;
//	ARGV[3...]: the token hash (hex) of each entry, full ones first
//
// It returns how many record keys it deleted.
var purgeScript = goredis.NewScript(`
local cutoff = tonumber(ARGV[1])
local full = tonumber(ARGV[2])
local removed = 0
local k = 2
for j = 3, #ARGV do
  local h = ARGV[j]
  local n = 1
  if j - 2 <= full then n = 4 end
  local s = redis.call('ZSCORE', KEYS[1], h)
  if s and tonumber(s) <= cutoff then
    redis.call('ZREM', KEYS[1], h)
    removed = removed + redis.call('DEL', KEYS[k])
    if n == 4 then
      if redis.call('GET', KEYS[k+1]) == h then
        redis.call('DEL', KEYS[k+1])
      end
      redis.call('SREM', KEYS[k+2], h)
      redis.call('SREM', KEYS[k+3], h)
    end
  end
  k = k + n
end
return removed
`)

// rehashScript moves a record to a new token hash with its index entries,
// all at once.
//
//	KEYS: old record, new record, id, member set, customer set, expiry zset
//	ARGV: encoded record, old hash (hex), new hash (hex), ID, member ID,
//	      customer ID, TTL in milliseconds, expiry score
//
// It returns 0 when the old record is gone, and an error when the stored
// record is not the session named, or the new hash is taken.
var rehashScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local f = redis.call('HMGET', KEYS[1], 'i', 'm', 'c')
if f[1] ~= ARGV[4] or f[2] ~= ARGV[5] or f[3] ~= ARGV[6] then
  return redis.error_reply('ERR sessionstore: rehash changes the record identity')
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply('ERR sessionstore: a record is already stored under the new hash')
end
local ttl = tonumber(ARGV[7])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'd', ARGV[1], 'i', ARGV[4], 'm', ARGV[5], 'c', ARGV[6])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('SET', KEYS[3], ARGV[3], 'PX', ttl)
redis.call('SREM', KEYS[4], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('SREM', KEYS[5], ARGV[2])
redis.call('SADD', KEYS[5], ARGV[3])
redis.call('ZREM', KEYS[6], ARGV[2])
redis.call('ZADD', KEYS[6], ARGV[8], ARGV[3])
return 1
`)

// ownerScript adds a customer's route to a member's owner set and keeps
// the set's TTL at least as long as asked.
//
//	KEYS[1]: the member's owner set
//	ARGV[1]: the route; ARGV[2]: TTL in milliseconds
var ownerScript = goredis.NewScript(`
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
local t = redis.call('PTTL', KEYS[1])
if t == -1 or (t >= 0 and t < ttl) then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)
