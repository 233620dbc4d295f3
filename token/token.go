package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"strings"
	"sync"
)

// RandomLen is the number of random characters after the prefix.
const RandomLen = 37

// ChecksumLen is the number of checksum characters at the end of a token.
const ChecksumLen = 6

// maxPrefixLen is the longest prefix ValidPrefix accepts.
const maxPrefixLen = 16

// alphabet is the base-62 alphabet: the random characters are drawn from it
// and the checksum is written in it, most significant digit first.
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// acceptBelow is the rejection-sampling bound: 248 = 4*62 is the largest
// multiple of 62 not above 256, so b%62 of a byte b < 248 is uniform.
const acceptBelow = 4 * len(alphabet)

// maxRandomBytes bounds how many bytes NewFrom reads before it gives up on
// a source that keeps producing rejected bytes. A uniform source needs more
// than 37 of 4096 bytes with probability far below 2^-1000.
const maxRandomBytes = 4096

// invalidDigit marks a byte outside the alphabet in digitValue.
const invalidDigit = 0xFF

// digitValue maps a byte to its base-62 value, or invalidDigit.
var digitValue = func() (t [256]uint8) {
	for i := range t {
		t[i] = invalidDigit
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = uint8(i)
	}
	return t
}()

// ErrMalformed reports a token with the wrong prefix, length, alphabet or
// checksum. Check returns errors that match it under errors.Is; their text
// never contains the token.
var ErrMalformed = errors.New("token: malformed")

// The reasons Check gives. They are allocated once so that Check never
// allocates, and their text is fixed so that it never contains the token.
var (
	errLength   = &malformedError{"token: malformed: wrong length"}
	errPrefix   = &malformedError{"token: malformed: wrong prefix"}
	errAlphabet = &malformedError{"token: malformed: character outside [A-Za-z0-9]"}
	errChecksum = &malformedError{"token: malformed: checksum mismatch"}
)

// malformedError is a fixed reason that matches ErrMalformed.
type malformedError struct{ msg string }

func (e *malformedError) Error() string        { return e.msg }
func (e *malformedError) Is(target error) bool { return target == ErrMalformed }

// Errors of New and NewFrom. They never concern a token given by a caller,
// so they carry ordinary detail.
var (
	errBadPrefix    = errors.New("token: invalid prefix: want 1-16 characters of [a-z0-9_]")
	errBiasedSource = errors.New("token: random source produced too many rejected bytes")
	errBadRoute     = errors.New("token: route out of range")
)

// randReader is crypto/rand's reader, the source of New and NewRouted.
var randReader = rand.Reader

// Hash is the stored form of a token: its SHA-256 digest, or its
// HMAC-SHA256 under a server secret. See Hasher.
type Hash [32]byte

// String returns the hash as 64 lowercase hexadecimal digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ValidPrefix reports whether p can start a token: 1 to 16 characters, each
// a lowercase ASCII letter, a digit or '_'.
func ValidPrefix(p string) bool {
	if len(p) == 0 || len(p) > maxPrefixLen {
		return false
	}
	for i := range len(p) {
		c := p[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// New returns a fresh token: prefix, RandomLen characters of [A-Za-z0-9]
// drawn uniformly from crypto/rand, and their ChecksumLen-character
// Checksum. It fails if prefix is not ValidPrefix or the system's random
// source fails.
func New(prefix string) (string, error) {
	return NewFrom(randReader, prefix)
}

// NewFrom is New with r as the source of randomness; tests pass a
// deterministic reader. Each random character is one byte b of r with
// b < 248, as alphabet[b%62]; larger bytes are skipped, so every character
// is equally likely when r is uniform. It fails if prefix is not
// ValidPrefix, if reading r fails (including a short read), or if r yields
// an implausibly long run of rejected bytes.
func NewFrom(r io.Reader, prefix string) (string, error) {
	return newToken(r, prefix, nil)
}

// newToken makes a token whose random part starts with head (characters of
// the alphabet) and goes on with characters drawn from r.
func newToken(r io.Reader, prefix string, head []byte) (string, error) {
	if !ValidPrefix(prefix) {
		return "", errBadPrefix
	}
	var random [RandomLen]byte
	n := copy(random[:], head)
	// 48 bytes are enough for 37 characters with probability ~0.9997, so
	// one read is the rule and a second one the rare exception.
	buf := make([]byte, 48)
	read := 0
	for n < RandomLen {
		if read >= maxRandomBytes {
			return "", errBiasedSource
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", &readError{err}
		}
		read += len(buf)
		for _, b := range buf {
			if int(b) < acceptBelow {
				random[n] = alphabet[int(b)%len(alphabet)]
				if n++; n == RandomLen {
					break
				}
			}
		}
	}
	clear(buf)

	var sb strings.Builder
	sb.Grow(len(prefix) + RandomLen + ChecksumLen)
	sb.WriteString(prefix)
	sb.Write(random[:])
	sum := encodeChecksum(crcOf(random[:]))
	sb.Write(sum[:])
	clear(random[:])
	return sb.String(), nil
}

// readError wraps a failure of the random source.
type readError struct{ err error }

func (e *readError) Error() string { return "token: reading random source: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// Checksum returns the CRC-32 (IEEE) of random written in base 62 with the
// alphabet 0-9A-Za-z, most significant digit first, left-padded with '0' to
// ChecksumLen characters. A token ends with the Checksum of its random part.
func Checksum(random string) string {
	sum := encodeChecksum(crcOf(random))
	return string(sum[:])
}

// crcTables holds the slicing-by-8 tables of CRC-32 (IEEE): crcTables[0]
// is crc32.IEEETable, and crcTables[k][b] is the CRC of b followed by k
// zero bytes, so crcOf consumes eight bytes per step.
var crcTables = func() (t [8][256]uint32) {
	t[0] = *crc32.IEEETable
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 8; k++ {
			crc = t[0][byte(crc)] ^ (crc >> 8)
			t[k][i] = crc
		}
	}
	return t
}()

// crcOf is crc32.ChecksumIEEE for both strings and byte slices, computed
// here so that hashing a string needs no []byte conversion.
func crcOf[S string | []byte](s S) uint32 {
	crc := ^uint32(0)
	for len(s) >= 8 {
		crc ^= uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		crc = crcTables[0][s[7]] ^ crcTables[1][s[6]] ^ crcTables[2][s[5]] ^ crcTables[3][s[4]] ^
			crcTables[4][crc>>24] ^ crcTables[5][byte(crc>>16)] ^ crcTables[6][byte(crc>>8)] ^ crcTables[7][byte(crc)]
		s = s[8:]
	}
	for i := range len(s) {
		crc = crcTables[0][byte(crc)^s[i]] ^ (crc >> 8)
	}
	return ^crc
}

// encodeChecksum writes v in base 62, ChecksumLen digits, zero-padded.
// 62^6 > 2^32, so every uint32 fits.
func encodeChecksum(v uint32) (out [ChecksumLen]byte) {
	for i := ChecksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[v%uint32(len(alphabet))]
		v /= uint32(len(alphabet))
	}
	return out
}

// Check returns nil if and only if tok is prefix followed by RandomLen
// characters of [A-Za-z0-9] and their Checksum. Otherwise it returns an
// error that matches ErrMalformed and never contains tok.
//
// Check does not validate prefix itself; callers pass a prefix that
// satisfies ValidPrefix. It never allocates or panics, and once the length
// matches it examines every character of tok, so its running time depends
// only on len(tok) and len(prefix), not on where tok is wrong.
func Check(tok, prefix string) error {
	if len(tok) != len(prefix)+RandomLen+ChecksumLen {
		return errLength
	}
	// Constant-time comparisons throughout: the prefix and the alphabet are
	// public, but there is no reason to let timing reveal which character
	// of a presented token is off.
	var prefixDiff byte
	for i := range len(prefix) {
		prefixDiff |= tok[i] ^ prefix[i]
	}
	body := tok[len(prefix):]
	// invalidDigit has the top bit set; every value below 62 has it clear.
	var bad uint8
	for i := range len(body) {
		bad |= digitValue[body[i]] & 0x80
	}
	want := encodeChecksum(crcOf(body[:RandomLen]))
	var sumDiff byte
	for i := range ChecksumLen {
		sumDiff |= body[RandomLen+i] ^ want[i]
	}
	switch {
	case prefixDiff != 0:
		return errPrefix
	case bad != 0:
		return errAlphabet
	case sumDiff != 0:
		return errChecksum
	}
	return nil
}

// Hasher turns tokens into the Hash stored at rest. Its methods are safe
// for concurrent use. A Hasher must not be copied after first use; the zero
// Hasher (and a nil *Hasher) hashes with plain SHA-256.
type Hasher struct {
	key  []byte    // private copy of the secret; empty means plain SHA-256
	macs sync.Pool // of *hashState holding hmac.New(sha256.New, key)
}

// NewHasher returns a Hasher. With an empty or nil secret, Sum is the
// SHA-256 of the token. Otherwise Sum is the HMAC-SHA256 of the token keyed
// with secret; NewHasher keeps a private copy, so the caller may reuse or
// wipe secret afterwards.
func NewHasher(secret []byte) *Hasher {
	h := &Hasher{}
	if len(secret) > 0 {
		h.key = append([]byte(nil), secret...)
		key := h.key
		h.macs.New = func() any { return newHashState(hmac.New(sha256.New, key)) }
	}
	return h
}

// stackHashLen is the longest token Sum hashes from a stack copy with
// sha256.Sum256; longer inputs (never valid tokens) go through a pooled
// hasher. It covers the longest valid token, 16+37+6 = 59 bytes.
const stackHashLen = 128

// hashState is a reusable hasher with scratch space, so that writing a
// string into it needs no allocation.
type hashState struct {
	h   hash.Hash
	buf [256]byte
	sum [sha256.Size]byte
}

func newHashState(h hash.Hash) *hashState { return &hashState{h: h} }

// shaStates pools plain SHA-256 states for inputs longer than stackHashLen.
var shaStates = sync.Pool{New: func() any { return newHashState(sha256.New()) }}

// Sum returns the Hash of tok: SHA-256 or HMAC-SHA256 as NewHasher
// describes. It is safe for concurrent use and, in the steady state, does
// not allocate.
func (h *Hasher) Sum(tok string) Hash {
	if h == nil || len(h.key) == 0 {
		if len(tok) <= stackHashLen {
			var buf [stackHashLen]byte
			n := copy(buf[:], tok)
			sum := sha256.Sum256(buf[:n])
			clear(buf[:n])
			return sum
		}
		return sumPooled(&shaStates, tok)
	}
	return sumPooled(&h.macs, tok)
}

// sumPooled hashes tok with a state from pool, copying it through the
// state's own scratch buffer, and puts the state back.
func sumPooled(pool *sync.Pool, tok string) Hash {
	st := pool.Get().(*hashState)
	st.h.Reset()
	for rest := tok; len(rest) > 0; {
		n := copy(st.buf[:], rest)
		st.h.Write(st.buf[:n])
		rest = rest[n:]
	}
	var out Hash
	copy(out[:], st.h.Sum(st.sum[:0]))
	st.h.Reset()
	clear(st.buf[:])
	pool.Put(st)
	return out
}
