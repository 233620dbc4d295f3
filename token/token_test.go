package token

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"testing"
)

const (
	knownPrefix   = "polar_mst_"
	knownRandom   = "4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB"
	knownChecksum = "0ICCd7"
	knownToken    = knownPrefix + knownRandom + knownChecksum
)

// refChecksum is the checksum written the slow, obvious way, from
// hash/crc32 directly.
func refChecksum(random string) string {
	v := crc32.ChecksumIEEE([]byte(random))
	var digits []byte
	for v > 0 {
		digits = append([]byte{alphabet[v%62]}, digits...)
		v /= 62
	}
	return strings.Repeat("0", ChecksumLen-len(digits)) + string(digits)
}

// refCheck is Check written the slow, obvious way.
func refCheck(tok, prefix string) bool {
	if !strings.HasPrefix(tok, prefix) {
		return false
	}
	body := tok[len(prefix):]
	if len(body) != RandomLen+ChecksumLen {
		return false
	}
	for _, r := range body {
		if !strings.ContainsRune(alphabet, r) {
			return false
		}
	}
	return refChecksum(body[:RandomLen]) == body[RandomLen:]
}

// seqReader yields 0, 1, 2, ... 255, 0, 1, ... forever.
type seqReader struct{ next byte }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// constReader yields one byte value forever.
type constReader byte

func (r constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

func TestKnownVector(t *testing.T) {
	if got := Checksum(knownRandom); got != knownChecksum {
		t.Fatalf("Checksum(%q) = %q, want %q", knownRandom, got, knownChecksum)
	}
	if got := refChecksum(knownRandom); got != knownChecksum {
		t.Fatalf("reference checksum = %q, want %q", got, knownChecksum)
	}
	if err := Check(knownToken, knownPrefix); err != nil {
		t.Fatalf("Check(known token) = %v", err)
	}
	if len(knownToken) != len(knownPrefix)+RandomLen+ChecksumLen {
		t.Fatalf("known token has length %d", len(knownToken))
	}
}

func TestChecksumMatchesReference(t *testing.T) {
	inputs := []string{
		"", "a", "0", knownRandom, alphabet, alphabet[:RandomLen],
		strings.Repeat("z", RandomLen), strings.Repeat("\xff", 300), "héllo",
	}
	for _, in := range inputs {
		if got, want := Checksum(in), refChecksum(in); got != want {
			t.Errorf("Checksum(%q) = %q, want %q", in, got, want)
		}
		if got, want := crcOf(in), crc32.ChecksumIEEE([]byte(in)); got != want {
			t.Errorf("crcOf(%q) = %08x, want %08x", in, got, want)
		}
	}
	if got := Checksum(""); got != "000000" {
		t.Errorf(`Checksum("") = %q, want "000000" (CRC 0, zero-padded)`, got)
	}
	for _, tc := range []struct {
		v    uint32
		want string
	}{
		{0, "000000"},
		{1, "000001"},
		{61, "00000z"},
		{62, "000010"},
		{62*62*62*62*62 - 1, "0zzzzz"},
		{62 * 62 * 62 * 62 * 62, "100000"},
		{0xFFFFFFFF, "4gfFC3"},
	} {
		if got := string(func() []byte { s := encodeChecksum(tc.v); return s[:] }()); got != tc.want {
			t.Errorf("encodeChecksum(%d) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestValidPrefix(t *testing.T) {
	good := []string{"a", "_", "0", "mst_", "polar_mst_", "abcdefghijklmnop", "0123456789_az"}
	bad := []string{"", "A", "Mst_", "mst-", "mst ", "mst.", "abcdefghijklmnopq", "é", "mst\x00", "\xff"}
	for _, p := range good {
		if !ValidPrefix(p) {
			t.Errorf("ValidPrefix(%q) = false, want true", p)
		}
	}
	for _, p := range bad {
		if ValidPrefix(p) {
			t.Errorf("ValidPrefix(%q) = true, want false", p)
		}
		if tok, err := New(p); err == nil {
			t.Errorf("New(%q) = %q, nil; want error", p, tok)
		}
		if tok, err := NewFrom(&seqReader{}, p); err == nil {
			t.Errorf("NewFrom(%q) = %q, nil; want error", p, tok)
		}
	}
}

func TestNewValid(t *testing.T) {
	seen := make(map[string]bool)
	for _, prefix := range []string{"a", "mst_", knownPrefix, "abcdefghijklmnop"} {
		for range 500 {
			tok, err := New(prefix)
			if err != nil {
				t.Fatalf("New(%q): %v", prefix, err)
			}
			if len(tok) != len(prefix)+RandomLen+ChecksumLen || !strings.HasPrefix(tok, prefix) {
				t.Fatalf("New(%q) = %q: wrong shape", prefix, tok)
			}
			if err := Check(tok, prefix); err != nil {
				t.Fatalf("Check(New(%q)) = %v", prefix, err)
			}
			if !refCheck(tok, prefix) {
				t.Fatalf("reference check rejects New(%q) = %q", prefix, tok)
			}
			if seen[tok] {
				t.Fatalf("New returned %q twice", tok)
			}
			seen[tok] = true
		}
	}
}

func TestNewFromDeterministic(t *testing.T) {
	tok, err := NewFrom(&seqReader{}, knownPrefix)
	if err != nil {
		t.Fatal(err)
	}
	want := knownPrefix + alphabet[:RandomLen] + refChecksum(alphabet[:RandomLen])
	if tok != want {
		t.Fatalf("NewFrom(0,1,2,...) = %q, want %q", tok, want)
	}
}

// TestNewFromRejectsHighBytes checks the rejection sampling: bytes 248-255
// are skipped, bytes below map to alphabet[b%62], and characters are
// gathered across reads.
func TestNewFromRejectsHighBytes(t *testing.T) {
	var stream, accepted []byte
	for i := 0; len(accepted) < RandomLen+10; i++ {
		// Mostly rejected bytes, so that 37 characters need several reads.
		if i%9 == 0 {
			b := byte((i * 37) % 248)
			stream = append(stream, b)
			accepted = append(accepted, alphabet[b%62])
		} else {
			stream = append(stream, byte(248+i%8))
		}
	}
	tok, err := NewFrom(bytes.NewReader(stream), "x")
	if err != nil {
		t.Fatal(err)
	}
	random := string(accepted[:RandomLen])
	if want := "x" + random + refChecksum(random); tok != want {
		t.Fatalf("NewFrom = %q, want %q", tok, want)
	}

	// 247 is the largest accepted byte, 248 the smallest rejected one.
	stream = append(bytes.Repeat([]byte{248}, 11), bytes.Repeat([]byte{247}, 48)...)
	tok, err = NewFrom(bytes.NewReader(stream), "x")
	if err != nil {
		t.Fatal(err)
	}
	random = strings.Repeat(string(alphabet[247%62]), RandomLen)
	if want := "x" + random + refChecksum(random); tok != want {
		t.Fatalf("NewFrom = %q, want %q", tok, want)
	}
}

func TestNewFromErrors(t *testing.T) {
	boom := errors.New("boom")
	if _, err := NewFrom(failingReader{boom}, "x"); !errors.Is(err, boom) {
		t.Errorf("NewFrom(failing reader) = %v, want wrapping %v", err, boom)
	}
	if _, err := NewFrom(bytes.NewReader(make([]byte, 10)), "x"); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("NewFrom(short reader) = %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := NewFrom(bytes.NewReader(nil), "x"); !errors.Is(err, io.EOF) {
		t.Errorf("NewFrom(empty reader) = %v, want io.EOF", err)
	}
	// A source that only yields rejected bytes must not hang.
	if _, err := NewFrom(constReader(0xFF), "x"); err == nil {
		t.Error("NewFrom(all 0xFF) succeeded, want error")
	}
	if tok, err := NewFrom(constReader(0), "x"); err != nil || Check(tok, "x") != nil {
		t.Errorf("NewFrom(all zero) = %q, %v", tok, err)
	}
}

// chiSquare returns the chi-square statistic of counts against a uniform
// distribution.
func chiSquare(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	exp := float64(total) / float64(len(counts))
	var x float64
	for _, c := range counts {
		d := float64(c) - exp
		x += d * d / exp
	}
	return x
}

func TestDistribution(t *testing.T) {
	const n = 20000
	var perPos [RandomLen][62]int
	var all [62]int
	for range n {
		tok, err := New("d")
		if err != nil {
			t.Fatal(err)
		}
		for i := range RandomLen {
			v := digitValue[tok[1+i]]
			perPos[i][v]++
			all[v]++
		}
	}
	// With 61 degrees of freedom the statistic has mean 61 and standard
	// deviation 11; 200 is 12.6 deviations out (p < 1e-15 per test). Modulo
	// bias (b%62 over all 256 bytes) gives about 4900 over all positions.
	const bound = 200
	for i := range RandomLen {
		for c, k := range perPos[i] {
			if k == 0 {
				t.Errorf("character %q never appeared at position %d", alphabet[c], i)
			}
		}
		if x := chiSquare(perPos[i][:]); x > bound {
			t.Errorf("position %d: chi-square %.1f > %d", i, x, bound)
		}
	}
	for c, k := range all {
		if k == 0 {
			t.Errorf("character %q never appeared", alphabet[c])
		}
	}
	if x := chiSquare(all[:]); x > bound {
		t.Errorf("all positions: chi-square %.1f > %d", x, bound)
	}
}

// checkMalformed asserts that Check rejects tok with a reason matching
// ErrMalformed whose text does not reveal tok.
func checkMalformed(t *testing.T, tok, prefix string, want error) {
	t.Helper()
	err := Check(tok, prefix)
	if err == nil {
		t.Errorf("Check(%q, %q) = nil, want error", tok, prefix)
		return
	}
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("Check(%q, %q) = %v, does not match ErrMalformed", tok, prefix, err)
	}
	if want != nil && err != want {
		t.Errorf("Check(%q, %q) = %v, want %v", tok, prefix, err, want)
	}
	if refCheck(tok, prefix) {
		t.Errorf("reference check accepts %q", tok)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "token: malformed") {
		t.Errorf("error text %q does not start with %q", msg, "token: malformed")
	}
	for _, secret := range []string{tok, knownRandom, knownChecksum} {
		if len(secret) >= 6 && strings.Contains(msg, secret) {
			t.Errorf("error text %q contains %q", msg, secret)
		}
	}
}

func TestCheckRejects(t *testing.T) {
	p := knownPrefix
	r := knownRandom
	s := knownChecksum
	withRandom := func(random string) string { return p + random + Checksum(random) }
	tests := []struct {
		name, tok, prefix string
		want              error
	}{
		{"empty", "", p, errLength},
		{"prefix only", p, p, errLength},
		{"one short", knownToken[:len(knownToken)-1], p, errLength},
		{"one long", knownToken + "A", p, errLength},
		{"no prefix", r + s, p, errLength},
		{"doubled prefix", p + knownToken, p, errLength},
		{"longer prefix expected", knownToken, p + "x", errLength},
		{"wrong prefix", "polar_mss_" + r + s, p, errPrefix},
		{"upper-case prefix", "POLAR_MST_" + r + s, p, errPrefix},
		{"prefix at end", "x" + r + s + "_", "_x", errPrefix},
		{"dash", withRandom(r[:10] + "-" + r[11:]), p, errAlphabet},
		{"underscore", withRandom(r[:10] + "_" + r[11:]), p, errAlphabet},
		{"space", withRandom(" " + r[1:]), p, errAlphabet},
		{"NUL", withRandom(r[:36] + "\x00"), p, errAlphabet},
		{"0xFF", withRandom("\xff" + r[1:]), p, errAlphabet},
		{"2-byte UTF-8", withRandom(r[:5] + "é" + r[7:]), p, errAlphabet},
		{"3-byte UTF-8", withRandom(r[:5] + "€" + r[8:]), p, errAlphabet},
		{"4-byte UTF-8", withRandom(r[:33] + "😀"), p, errAlphabet},
		{"multibyte in checksum", p + r + "0IC" + "€", p, errAlphabet},
		{"non-alnum checksum", p + r + "0ICC+7", p, errAlphabet},
		{"non-alnum last", p + r + "0ICCd\x00", p, errAlphabet},
		{"bad checksum", p + r + "0ICCd8", p, errChecksum},
		{"lower-case checksum", p + r + "0iccd7", p, errChecksum},
		{"checksum reversed", p + r + "7dCCI0", p, errChecksum},
		{"random swapped", p + r[1:] + r[:1] + s, p, errChecksum},
		{"checksum of other token", p + r + Checksum(alphabet[:RandomLen]), p, errChecksum},
		{"unpadded checksum", p + r + "ICCd7", p, errLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkMalformed(t, tc.tok, tc.prefix, tc.want) })
	}
}

// TestCheckPrefixNotValidated pins down that Check compares the prefix
// literally and leaves validating it to the caller.
func TestCheckPrefixNotValidated(t *testing.T) {
	if err := Check(knownRandom+knownChecksum, ""); err != nil {
		t.Errorf(`Check(random+checksum, "") = %v, want nil`, err)
	}
	if err := Check("ABC-"+knownRandom+knownChecksum, "ABC-"); err != nil {
		t.Errorf(`Check with prefix "ABC-" = %v, want nil`, err)
	}
}

// TestCheckSingleMutations checks that every single-byte substitution,
// deletion, insertion and adjacent transposition of a valid token is
// rejected. CRC-32 detects every burst error of up to 32 bits, so none can
// slip through.
func TestCheckSingleMutations(t *testing.T) {
	toks := []string{knownToken}
	for range 20 {
		tok, err := New(knownPrefix)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	for _, tok := range toks {
		b := []byte(tok)
		for i := range b {
			orig := b[i]
			for v := range 256 {
				if byte(v) == orig {
					continue
				}
				b[i] = byte(v)
				if err := Check(string(b), knownPrefix); !errors.Is(err, ErrMalformed) {
					t.Fatalf("Check accepts %q (byte %d of %q set to %#x): %v", b, i, tok, v, err)
				}
			}
			b[i] = orig

			if err := Check(tok[:i]+tok[i+1:], knownPrefix); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Check accepts %q with byte %d deleted", tok, i)
			}
			if err := Check(tok[:i]+"A"+tok[i:], knownPrefix); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Check accepts %q with a byte inserted at %d", tok, i)
			}
			if i+1 < len(b) && b[i] != b[i+1] {
				b[i], b[i+1] = b[i+1], b[i]
				if err := Check(string(b), knownPrefix); !errors.Is(err, ErrMalformed) {
					t.Fatalf("Check accepts %q (bytes %d,%d of %q swapped)", b, i, i+1, tok)
				}
				b[i], b[i+1] = b[i+1], b[i]
			}
		}
		if err := Check(tok, knownPrefix); err != nil {
			t.Fatalf("Check(%q) = %v after restoring", tok, err)
		}
	}
}

var hashInputs = []string{
	"",
	"x",
	knownToken,
	strings.Repeat("a", stackHashLen),
	strings.Repeat("b", stackHashLen+1),
	strings.Repeat("c", 1000), // several scratch-buffer chunks
	"h\xffé\x00",
}

func TestHasherSHA256(t *testing.T) {
	hashers := map[string]*Hasher{
		"NewHasher(nil)":      NewHasher(nil),
		"NewHasher([]byte{})": NewHasher([]byte{}),
		"zero Hasher":         new(Hasher),
		"nil *Hasher":         nil,
	}
	for name, h := range hashers {
		for _, in := range hashInputs {
			if got, want := h.Sum(in), Hash(sha256.Sum256([]byte(in))); got != want {
				t.Errorf("%s.Sum(%.20q) = %v, want %v", name, in, got, want)
			}
		}
	}
}

func refHMAC(secret []byte, in string) Hash {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return Hash(m.Sum(nil))
}

func TestHasherHMAC(t *testing.T) {
	for _, secret := range [][]byte{
		[]byte("k"),
		[]byte("server secret"),
		bytes.Repeat([]byte{0xA5}, 200), // longer than the SHA-256 block
	} {
		h := NewHasher(secret)
		for _, in := range hashInputs {
			// Twice, so the second Sum reuses a pooled state.
			for range 2 {
				if got, want := h.Sum(in), refHMAC(secret, in); got != want {
					t.Errorf("Sum(%.20q) with secret %.10q = %v, want %v", in, secret, got, want)
				}
			}
			if h.Sum(in) == Hash(sha256.Sum256([]byte(in))) {
				t.Errorf("HMAC Sum(%.20q) equals plain SHA-256", in)
			}
		}
	}
	if NewHasher([]byte("a")).Sum(knownToken) == NewHasher([]byte("b")).Sum(knownToken) {
		t.Error("different secrets give the same hash")
	}
}

func TestHasherCopiesSecret(t *testing.T) {
	secret := []byte("original secret")
	want := refHMAC([]byte("original secret"), knownToken)

	// Mutate before the first Sum: the pooled HMAC is keyed lazily, so this
	// fails unless NewHasher copied the secret.
	h := NewHasher(secret)
	for i := range secret {
		secret[i] = 'X'
	}
	if got := h.Sum(knownToken); got != want {
		t.Fatalf("Sum after mutating the secret = %v, want %v", got, want)
	}

	secret = []byte("original secret")
	h = NewHasher(secret)
	first := h.Sum(knownToken)
	clear(secret)
	_ = append(secret[:0], "different value"...)
	if got := h.Sum(knownToken); got != first || got != want {
		t.Fatalf("Sum after wiping the secret = %v, want %v", got, want)
	}
}

func TestHashString(t *testing.T) {
	sum := sha256.Sum256([]byte(knownToken))
	h := Hash(sum)
	const want = "6df3aa405a213700c927206dd7c9d2209109ad368533579b4749903c054ed392"
	if got := h.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := h.String(); got != hex.EncodeToString(sum[:]) {
		t.Errorf("String() = %q, want hex.EncodeToString", got)
	}
	if got := (Hash{}).String(); got != strings.Repeat("0", 64) {
		t.Errorf("zero Hash String() = %q", got)
	}
}

func TestCheckAllocs(t *testing.T) {
	inputs := []struct{ tok, prefix string }{
		{knownToken, knownPrefix},
		{"", knownPrefix},
		{"polar_mss_" + knownRandom + knownChecksum, knownPrefix},
		{knownPrefix + knownRandom[:36] + "€"[:1] + knownChecksum, knownPrefix},
		{knownPrefix + knownRandom + "000000", knownPrefix},
	}
	for _, in := range inputs {
		var err error
		if n := testing.AllocsPerRun(1000, func() { err = Check(in.tok, in.prefix) }); n != 0 {
			t.Errorf("Check(%q) allocates %v times per call (err %v)", in.tok, n, err)
		}
	}
}

func TestSumAllocs(t *testing.T) {
	long := strings.Repeat("L", 1000)
	edge := strings.Repeat("a", stackHashLen)
	sha := NewHasher(nil)
	var sink Hash
	if n := testing.AllocsPerRun(1000, func() { sink = sha.Sum(knownToken) }); n != 0 {
		t.Errorf("SHA-256 Sum allocates %v times per call", n)
	}
	if n := testing.AllocsPerRun(1000, func() { sink = sha.Sum(edge) }); n != 0 {
		t.Errorf("SHA-256 Sum of %d bytes allocates %v times per call", stackHashLen, n)
	}
	if raceEnabled {
		// sync.Pool drops items at random under the race detector.
		t.Log("skipping pooled-path allocation checks under -race")
		return
	}
	if n := testing.AllocsPerRun(1000, func() { sink = sha.Sum(long) }); n != 0 {
		t.Errorf("SHA-256 Sum of a long input allocates %v times per call", n)
	}
	mac := NewHasher([]byte("secret"))
	if n := testing.AllocsPerRun(1000, func() { sink = mac.Sum(knownToken) }); n != 0 {
		t.Errorf("HMAC Sum allocates %v times per call", n)
	}
	if n := testing.AllocsPerRun(1000, func() { sink = mac.Sum(long) }); n != 0 {
		t.Errorf("HMAC Sum of a long input allocates %v times per call", n)
	}
	_ = sink
}

func TestSumConcurrent(t *testing.T) {
	secret := []byte("concurrent secret")
	toks := append([]string(nil), hashInputs...)
	for range 8 {
		tok, err := New(knownPrefix)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	sha, mac := NewHasher(nil), NewHasher(secret)
	wantSHA := make([]Hash, len(toks))
	wantMAC := make([]Hash, len(toks))
	for i, tok := range toks {
		wantSHA[i] = sha256.Sum256([]byte(tok))
		wantMAC[i] = refHMAC(secret, tok)
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 300 {
				k := (g + i) % len(toks)
				if got := sha.Sum(toks[k]); got != wantSHA[k] {
					t.Errorf("concurrent SHA-256 Sum(%.20q) = %v, want %v", toks[k], got, wantSHA[k])
					return
				}
				if got := mac.Sum(toks[k]); got != wantMAC[k] {
					t.Errorf("concurrent HMAC Sum(%.20q) = %v, want %v", toks[k], got, wantMAC[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

var (
	sinkErr  error
	sinkHash Hash
	sinkTok  string
)

func BenchmarkCheck(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkErr = Check(knownToken, knownPrefix)
	}
}

func BenchmarkSumSHA256(b *testing.B) {
	h := NewHasher(nil)
	b.ReportAllocs()
	for b.Loop() {
		sinkHash = h.Sum(knownToken)
	}
}

func BenchmarkSumHMAC(b *testing.B) {
	h := NewHasher([]byte("server secret"))
	b.ReportAllocs()
	for b.Loop() {
		sinkHash = h.Sum(knownToken)
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		tok, err := New(knownPrefix)
		if err != nil {
			b.Fatal(err)
		}
		sinkTok = tok
	}
}

// crcOf must equal hash/crc32 for every length around the 8-byte steps.
func TestCRCMatchesHashCRC32(t *testing.T) {
	buf := make([]byte, 80)
	for i := range buf {
		buf[i] = byte(i*131 + 7)
	}
	for n := range len(buf) + 1 {
		if got, want := crcOf(string(buf[:n])), crc32.ChecksumIEEE(buf[:n]); got != want {
			t.Fatalf("crcOf of %d bytes = %08x, want %08x", n, got, want)
		}
	}
}
