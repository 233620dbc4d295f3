package token

import (
	"errors"
	"strings"
	"testing"
)

// FuzzCheck checks that Check never panics, that it agrees with the slow
// reference check, that what it accepts has the exact shape of a token,
// and that what it rejects is one of the fixed ErrMalformed reasons.
func FuzzCheck(f *testing.F) {
	f.Add(knownToken, knownPrefix)
	f.Add(knownRandom+knownChecksum, "")
	f.Add("mst_"+alphabet[:RandomLen]+Checksum(alphabet[:RandomLen]), "mst_")
	f.Add("", "")
	f.Add("", knownPrefix)
	f.Add(knownToken[:len(knownToken)-1], knownPrefix)
	f.Add(knownToken+"0", knownPrefix)
	f.Add("polar_mss_"+knownRandom+knownChecksum, knownPrefix)
	f.Add(knownPrefix+knownRandom+"0ICCd8", knownPrefix)
	f.Add(knownPrefix+knownRandom[:5]+"é"+knownRandom[7:]+knownChecksum, knownPrefix)
	f.Add(knownPrefix+strings.Repeat("\xff", RandomLen+ChecksumLen), knownPrefix)
	f.Add(knownToken, "abcdefghijklmnopqrstuvwxyz")

	reasons := []error{errLength, errPrefix, errAlphabet, errChecksum}
	f.Fuzz(func(t *testing.T, tok, prefix string) {
		err := Check(tok, prefix)
		if want := refCheck(tok, prefix); (err == nil) != want {
			t.Fatalf("Check(%q, %q) = %v, reference says valid=%v", tok, prefix, err, want)
		}
		if err != nil {
			known := false
			for _, r := range reasons {
				known = known || err == r
			}
			if !known || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Check(%q, %q) = %v: not a preallocated ErrMalformed reason", tok, prefix, err)
			}
			return
		}
		if len(tok) != len(prefix)+RandomLen+ChecksumLen {
			t.Fatalf("Check accepted %q with length %d", tok, len(tok))
		}
		if tok[:len(prefix)] != prefix {
			t.Fatalf("Check accepted %q without prefix %q", tok, prefix)
		}
		random := tok[len(prefix) : len(prefix)+RandomLen]
		if got, want := tok[len(tok)-ChecksumLen:], refChecksum(random); got != want {
			t.Fatalf("Check accepted %q with checksum %q, want %q", tok, got, want)
		}
		if Checksum(random) != tok[len(tok)-ChecksumLen:] {
			t.Fatalf("Checksum disagrees with Check on %q", tok)
		}
	})
}
