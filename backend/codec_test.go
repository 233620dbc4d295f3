package backend

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

func codecPtr[T any](v T) *T { return &v }

// codecRichRecord returns a record with every nullable field set, about 700
// bytes encoded.
func codecRichRecord() *Record {
	t0 := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
	team := sessionstore.CustomerTeam
	r := &Record{
		ID:         "0195a3c2-7f1e-7c3a-9d2b-4e5f6a7b8c9d",
		CreatedAt:  t0,
		ModifiedAt: t0.Add(time.Minute),
		ExpiresAt:  t0.Add(time.Hour),
		LastUsedAt: t0.Add(2 * time.Minute),
		ReturnURL:  "https://example.com/account/billing?from=portal",
		Kind:       sessionstore.KindDevice,
		LinkID:     "0195a3c2-0000-7c3a-9d2b-4e5f6a7b8c9d",
		// The link was made an hour before this device session.
		AuthenticatedAt: t0.Add(-time.Hour),
		DeviceLabel:     "Firefox on Linux",
		Member: &sessionstore.Member{
			ID:         "0195a3c2-0000-7000-8000-000000000001",
			CreatedAt:  t0.Add(-48 * time.Hour),
			ModifiedAt: codecPtr(t0.Add(-time.Hour)),
			CustomerID: "0195a3c2-0000-7000-8000-0000000000c1",
			Email:      "jane.doe@example.com",
			Name:       codecPtr("Jane Doe"),
			ExternalID: codecPtr("usr_12345"),
			Role:       sessionstore.RoleBillingManager,
		},
		Customer: &sessionstore.Customer{
			ID:            "0195a3c2-0000-7000-8000-0000000000c1",
			CreatedAt:     t0.Add(-72 * time.Hour),
			ModifiedAt:    codecPtr(t0.Add(-2 * time.Hour)),
			ExternalID:    codecPtr("cus_98765"),
			Email:         "billing@acme.example",
			EmailVerified: true,
			Type:          &team,
			Name:          codecPtr("Acme, Inc. — Ünïcödé"),
			BillingName:   codecPtr("Acme Accounts Payable"),
			BillingAddress: &sessionstore.Address{
				Line1:      codecPtr("1 Infinite Loop"),
				Line2:      codecPtr("Suite 100"),
				PostalCode: codecPtr("95014"),
				City:       codecPtr("Cupertino"),
				State:      codecPtr("US-CA"),
				Country:    "US",
			},
			TaxID:                  &sessionstore.TaxID{Value: "911144442", Format: "us_ein"},
			Locale:                 codecPtr("en-US"),
			OrganizationID:         "0195a3c2-0000-7000-8000-0000000000aa",
			DefaultPaymentMethodID: codecPtr("0195a3c2-0000-7000-8000-0000000000ee"),
			DeletedAt:              codecPtr(t0.Add(24 * time.Hour)),
			AvatarURL:              "https://www.gravatar.com/avatar/abcdef0123456789?d=404",
			Metadata: sessionstore.Metadata{
				"plan":     sessionstore.StringValue("enterprise"),
				"seats":    sessionstore.IntValue(-42),
				"discount": sessionstore.FloatValue(1.0),
				"vip":      sessionstore.BoolValue(true),
				"trial":    sessionstore.BoolValue(false),
				"big":      sessionstore.IntValue(math.MinInt64),
				"nan":      sessionstore.FloatValue(math.NaN()),
			},
		},
	}
	for i := range r.TokenHash {
		r.TokenHash[i] = byte(i*7 + 1)
	}
	return r
}

// codecBareRecord returns a record with every nullable field nil or zero.
func codecBareRecord() *Record {
	return &Record{
		ID:              "s",
		CreatedAt:       time.Unix(0, 0).UTC(),
		ExpiresAt:       time.Unix(3600, 0).UTC(),
		Kind:            sessionstore.KindLink,
		AuthenticatedAt: time.Unix(0, 0).UTC(),
		Member:          &sessionstore.Member{ID: "m", CustomerID: "c", Email: "a@b.c", Role: sessionstore.RoleOwner},
		Customer:        &sessionstore.Customer{ID: "c"},
	}
}

func codecMarshal(t testing.TB, r *Record) []byte {
	t.Helper()
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	return b
}

func codecRoundTrip(t *testing.T, r *Record) *Record {
	t.Helper()
	b := codecMarshal(t, r)
	var got Record
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	// Appending to a non-empty buffer gives the same bytes after it.
	b2, err := r.AppendBinary([]byte("prefix"))
	if err != nil {
		t.Fatalf("AppendBinary: %v", err)
	}
	if !bytes.Equal(b2[6:], b) || string(b2[:6]) != "prefix" {
		t.Fatalf("AppendBinary differs from MarshalBinary")
	}
	return &got
}

func TestRecordCodecRoundTrip(t *testing.T) {
	tests := map[string]*Record{
		"rich": codecRichRecord(),
		"bare": codecBareRecord(),
		"empty metadata": func() *Record {
			r := codecBareRecord()
			r.Customer.Metadata = sessionstore.Metadata{}
			return r
		}(),
		"address without optional lines": func() *Record {
			r := codecBareRecord()
			r.Customer.BillingAddress = &sessionstore.Address{Country: "FR"}
			return r
		}(),
		"unknown role and type": func() *Record {
			r := codecBareRecord()
			r.Member.Role = "auditor"
			ct := sessionstore.CustomerType("consortium")
			r.Customer.Type = &ct
			return r
		}(),
		"empty role and empty pointers": func() *Record {
			r := codecBareRecord()
			r.Member.Role = ""
			r.Member.Name = codecPtr("")
			ct := sessionstore.CustomerType("")
			r.Customer.Type = &ct
			r.Customer.TaxID = &sessionstore.TaxID{}
			return r
		}(),
		"zero times": func() *Record {
			r := codecBareRecord()
			r.CreatedAt = time.Time{}
			r.AuthenticatedAt = time.Time{}
			r.ExpiresAt = time.Time{}
			r.Member.ModifiedAt = &time.Time{}
			return r
		}(),
		"extreme times": func() *Record {
			r := codecBareRecord()
			r.CreatedAt = time.UnixMicro(math.MaxInt64).UTC()
			r.AuthenticatedAt = r.CreatedAt
			r.ExpiresAt = time.UnixMicro(math.MinInt64 + 1).UTC()
			return r
		}(),
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			got := codecRoundTrip(t, r)
			if !reflect.DeepEqual(got, r) {
				t.Fatalf("round trip differs:\n got %#v\nwant %#v", got, r)
			}
		})
	}
}

func TestRecordCodecSizes(t *testing.T) {
	r := codecRichRecord()
	b := codecMarshal(t, r)
	if len(b) < 600 || len(b) > 800 {
		t.Errorf("rich record encodes to %d bytes, want about 700", len(b))
	}
	if hint := r.encodedSizeHint(); hint < len(b) {
		t.Errorf("size hint %d < encoded size %d", hint, len(b))
	}
	t.Logf("rich record: %d bytes; bare record: %d bytes", len(b), len(codecMarshal(t, codecBareRecord())))
}

func TestRecordCodecNormalizesTimes(t *testing.T) {
	r := codecBareRecord()
	loc := time.FixedZone("X", 5*3600+1800)
	created := time.Date(2024, 1, 2, 3, 4, 5, 123456789, loc)
	r.CreatedAt = created
	r.ModifiedAt = created.Add(time.Second) // carries a monotonic reading? no: Date has none
	now := time.Now()                       // has a monotonic reading
	r.ExpiresAt = now
	got := codecRoundTrip(t, r)
	if want := created.UTC().Truncate(time.Microsecond); got.CreatedAt != want {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt location = %v, want UTC", got.CreatedAt.Location())
	}
	if want := now.Round(0).UTC().Truncate(time.Microsecond); got.ExpiresAt != want {
		t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, want)
	}
}

func TestRecordCodecDoesNotRetainInput(t *testing.T) {
	b := codecMarshal(t, codecRichRecord())
	var got Record
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0xFF
	}
	if !reflect.DeepEqual(&got, codecRichRecord()) {
		t.Fatal("decoded record changed when its input buffer was overwritten")
	}
}

func TestRecordCodecEncodeErrors(t *testing.T) {
	tests := map[string]func(r *Record){
		"nil member":    func(r *Record) { r.Member = nil },
		"nil customer":  func(r *Record) { r.Customer = nil },
		"zero metadata": func(r *Record) { r.Customer.Metadata = sessionstore.Metadata{"k": {}} },
		"time too late": func(r *Record) { r.ExpiresAt = time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"nullable time too early": func(r *Record) {
			r.Customer.DeletedAt = codecPtr(time.Date(-300000, 1, 1, 0, 0, 0, 0, time.UTC))
		},
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			r := codecRichRecord()
			mutate(r)
			buf := []byte("keep")
			out, err := r.AppendBinary(buf)
			if err == nil {
				t.Fatal("AppendBinary succeeded")
			}
			if errors.Is(err, sessionstore.ErrCorrupt) {
				t.Errorf("encode error %v wraps sessionstore.ErrCorrupt", err)
			}
			if string(out) != "keep" {
				t.Errorf("AppendBinary returned %q on error, want the input buffer", out)
			}
			if _, err := r.MarshalBinary(); err == nil {
				t.Error("MarshalBinary succeeded")
			}
		})
	}
}

// codecParts builds a record encoding by hand for the corruption table.
type codecParts struct{ b []byte }

func (e *codecParts) u(v uint64) *codecParts { e.b = binary.AppendUvarint(e.b, v); return e }
func (e *codecParts) v(v int64) *codecParts  { e.b = binary.AppendVarint(e.b, v); return e }
func (e *codecParts) raw(p ...byte) *codecParts {
	e.b = append(e.b, p...)
	return e
}
func (e *codecParts) s(s string) *codecParts { return e.u(uint64(len(s))).raw([]byte(s)...) }

// codecBareEncoding returns the encoding of a record with the given flags and
// nothing optional after the customer's AvatarURL, then calls tail.
func codecBareEncoding(flags uint64, tail func(e *codecParts)) []byte {
	return codecBareEncodingOf(recordVersion, flags, tail)
}

// codecBareEncodingOf is codecBareEncoding under an older version, which
// has no kind byte before version 4.
func codecBareEncodingOf(version byte, flags uint64, tail func(e *codecParts)) []byte {
	e := &codecParts{}
	e.raw(version).u(flags).s("id").raw(make([]byte, 32)...).v(1).v(2).s("")
	if version >= 4 {
		e.raw(kindLink)
	}
	e.s("m").v(0).s("c").s("e").raw(roleMember)
	e.s("c").v(0).s("e").s("org").s("")
	if tail != nil {
		tail(e)
	}
	return e.b
}

func TestRecordCodecCorrupt(t *testing.T) {
	valid := codecMarshal(t, codecRichRecord())
	if err := new(Record).UnmarshalBinary(codecBareEncoding(0, nil)); err != nil {
		t.Fatalf("hand-built bare encoding does not decode: %v", err)
	}
	v1 := codecBareEncodingOf(1, 0, nil)
	if err := new(Record).UnmarshalBinary(v1); err != nil {
		t.Fatalf("a version 1 record does not decode: %v", err)
	}
	withMD := func(entries func(e *codecParts)) []byte {
		return codecBareEncoding(flagCusMetadata, entries)
	}
	badKind := codecBareEncoding(0, nil)
	if kindAt := 1 + 1 + 3 + 32 + 1 + 1 + 1; badKind[kindAt] != kindLink {
		t.Fatalf("the kind byte is not at %d", kindAt)
	} else {
		badKind[kindAt] = 9
	}
	tests := map[string][]byte{
		"unknown session kind": badKind,
		"nil":                  nil,
		"empty":                {},
		"version 0":            append([]byte{0}, valid[1:]...),
		"next version":         append([]byte{recordVersion + 1}, valid[1:]...),
		"v2 with a billing name": func() []byte {
			b := codecBareEncoding(flagCusBillingName, func(e *codecParts) {})
			b[0] = 2
			return b
		}(),
		"v1 with last use": func() []byte {
			b := codecBareEncoding(flagRecLastUsed, func(e *codecParts) {})
			b[0] = 1
			return b
		}(),
		"version only":     {recordVersion},
		"trailing byte":    append(bytes.Clone(valid), 0),
		"trailing bytes":   append(bytes.Clone(valid), valid...),
		"unknown flag":     codecBareEncoding(flagsKnown+1, nil),
		"high flag":        codecBareEncoding(1<<63, nil),
		"overlong varint":  append([]byte{recordVersion}, bytes.Repeat([]byte{0xFF}, 11)...),
		"address bits":     codecBareEncoding(flagAddrCity, nil),
		"string past end":  append([]byte{recordVersion, 0}, binary.AppendUvarint(nil, 5)...),
		"huge string":      append([]byte{recordVersion, 0}, binary.AppendUvarint(nil, math.MaxUint64)...),
		"huge string 2^62": append([]byte{recordVersion, 0}, binary.AppendUvarint(nil, 1<<62)...),
		"bad role": func() []byte {
			b := codecBareEncoding(0, nil)
			i := bytes.IndexByte(b, roleMember)
			b[i] = 9
			return b
		}(),
		"long-form known role": func() []byte {
			e := &codecParts{}
			e.raw(recordVersion).u(0).s("id").raw(make([]byte, 32)...).v(1).v(2).s("")
			e.s("m").v(0).s("c").s("e").raw(enumOther).s("owner")
			e.s("c").v(0).s("e").s("org").s("")
			return e.b
		}(),
		"bad customer type": func() []byte {
			e := &codecParts{}
			e.raw(recordVersion).u(flagCusType).s("id").raw(make([]byte, 32)...).v(1).v(2).s("")
			e.s("m").v(0).s("c").s("e").raw(roleMember)
			e.s("c").v(0).s("e").raw(7).s("org").s("")
			return e.b
		}(),
		"metadata count past end": withMD(func(e *codecParts) { e.u(1 << 40) }),
		"metadata count max":      withMD(func(e *codecParts) { e.u(math.MaxUint64) }),
		"metadata missing":        withMD(nil),
		"metadata kind none":      withMD(func(e *codecParts) { e.u(1).s("k").raw(byte(sessionstore.MetadataNone), 0) }),
		"metadata kind 9":         withMD(func(e *codecParts) { e.u(1).s("k").raw(9, 0) }),
		"metadata bool 2":         withMD(func(e *codecParts) { e.u(1).s("k").raw(byte(sessionstore.MetadataBool), 2) }),
		"metadata float short":    withMD(func(e *codecParts) { e.u(1).s("k").raw(byte(sessionstore.MetadataFloat), 1, 2, 3) }),
		"metadata string short":   withMD(func(e *codecParts) { e.u(1).s("k").raw(byte(sessionstore.MetadataString)).u(10).raw('x') }),
		"metadata duplicate key": withMD(func(e *codecParts) {
			e.u(2).s("k").raw(byte(sessionstore.MetadataInt)).v(1).s("k").raw(byte(sessionstore.MetadataInt)).v(2)
		}),
		"metadata keys unsorted": withMD(func(e *codecParts) {
			e.u(2).s("b").raw(byte(sessionstore.MetadataInt)).v(1).s("a").raw(byte(sessionstore.MetadataInt)).v(2)
		}),
		"metadata fewer entries": withMD(func(e *codecParts) { e.u(3).s("k").raw(byte(sessionstore.MetadataInt)).v(1).raw(0, 0, 0, 0) }),
		"garbage":                []byte(strings.Repeat("\xde\xad\xbe\xef", 150)),
		"all 0xFF":               bytes.Repeat([]byte{0xFF}, 600),
		"version then zeros":     append([]byte{recordVersion}, make([]byte, 600)...),
	}
	// Every strict prefix of a valid encoding is truncated.
	for n := range len(valid) {
		tests[fmt.Sprintf("prefix %04d", n)] = valid[:n]
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			r := codecBareRecord()
			before := *r
			err := r.UnmarshalBinary(data)
			if !errors.Is(err, sessionstore.ErrCorrupt) {
				t.Fatalf("UnmarshalBinary = %v, want an error wrapping sessionstore.ErrCorrupt", err)
			}
			if !strings.HasPrefix(err.Error(), "sessionstore: corrupt record: ") {
				t.Errorf("error message %q", err)
			}
			if *r != before {
				t.Error("failed decode changed the record")
			}
		})
	}
}

// TestRecordCodecAllocs pins how little decoding allocates: the parts block,
// one string for all strings, and the metadata map.
func TestRecordCodecAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("allocation counts differ under -cover and -race")
	}
	for _, tc := range []struct {
		name string
		rec  *Record
		max  float64
	}{
		{"bare", codecBareRecord(), 2},
		{"rich", codecRichRecord(), 4},
	} {
		b := codecMarshal(t, tc.rec)
		var r Record
		allocs := testing.AllocsPerRun(100, func() {
			if err := r.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > tc.max {
			t.Errorf("%s: decode allocates %.0f times, want at most %.0f", tc.name, allocs, tc.max)
		}
		enc := testing.AllocsPerRun(100, func() {
			if _, err := tc.rec.MarshalBinary(); err != nil {
				t.Fatal(err)
			}
		})
		if enc > 1 {
			t.Errorf("%s: MarshalBinary allocates %.0f times, want 1", tc.name, enc)
		}
		buf := make([]byte, 0, 4096)
		app := testing.AllocsPerRun(100, func() {
			if _, err := tc.rec.AppendBinary(buf[:0]); err != nil {
				t.Fatal(err)
			}
		})
		if app > 0 {
			t.Errorf("%s: AppendBinary into a large buffer allocates %.0f times, want 0", tc.name, app)
		}
	}
	// A forged length never makes decoding allocate for it.
	forged := codecBareEncoding(flagCusMetadata, func(e *codecParts) { e.u(1 << 40) })
	allocs := testing.AllocsPerRun(100, func() { _ = new(Record).UnmarshalBinary(forged) })
	if allocs > 6 {
		t.Errorf("forged metadata count: %.0f allocations", allocs)
	}
}

func BenchmarkRecordDecode(b *testing.B) {
	data := codecMarshal(b, codecRichRecord())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var r Record
	for b.Loop() {
		if err := r.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordDecodeNoMetadata(b *testing.B) {
	rec := codecRichRecord()
	rec.Customer.Metadata = nil
	data := codecMarshal(b, rec)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var r Record
	for b.Loop() {
		if err := r.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordEncode(b *testing.B) {
	rec := codecRichRecord()
	data := codecMarshal(b, rec)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rec.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordAppend(b *testing.B) {
	rec := codecRichRecord()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = rec.AppendBinary(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRecordCodecReadsOldVersions decodes records that earlier encoders
// wrote (testdata/record-v*.hex: codecRichRecord without its NaN metadata
// value, and codecBareRecord, as each version had them): they decode to the
// same record, with the fields later versions added empty, and re-encode as
// the latest version with the same fields (sealed with a checksum, which
// they predate).
func TestRecordCodecReadsOldVersions(t *testing.T) {
	rich := func(version int) *Record {
		r := codecRichRecord()
		delete(r.Customer.Metadata, "nan")
		r.Customer.BillingName = nil // from version 3
		r.Customer.DefaultPaymentMethodID = nil
		r.Kind, r.AuthenticatedAt = sessionstore.KindLink, r.CreatedAt // from version 4
		r.LinkID, r.DeviceLabel = "", ""
		if version < 2 {
			r.LastUsedAt = time.Time{}
		}
		return r
	}
	for _, tt := range []struct {
		file    string
		version byte
		want    *Record
	}{
		{codecOldFiles[0], 1, rich(1)},
		{codecOldFiles[1], 1, codecBareRecord()},
		{codecOldFiles[2], 2, rich(2)},
	} {
		data := codecOldRecord(t, tt.file)
		if data[0] != tt.version {
			t.Fatalf("%s: version %d, want %d", tt.file, data[0], tt.version)
		}
		var got Record
		if err := got.UnmarshalBinary(data); err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if !reflect.DeepEqual(&got, tt.want) {
			t.Fatalf("%s decodes to\n%#v\nwant\n%#v", tt.file, got, tt.want)
		}
		// Encoded again it is sealed, under the latest version, with the
		// same fields.
		enc := codecMarshal(t, &got)
		version, _, err := unseal(enc)
		var again Record
		if err == nil {
			err = again.UnmarshalBinary(enc)
		}
		if err != nil || version != recordVersion || !reflect.DeepEqual(&again, &got) {
			t.Errorf("%s: re-encoding is not the same fields under version %d: %v", tt.file, recordVersion, err)
		}
	}
}

// codecOldFiles hold records earlier versions of the encoder wrote, in hex.
var codecOldFiles = []string{"testdata/record-v1-rich.hex", "testdata/record-v1-bare.hex", "testdata/record-v2-rich.hex"}

// codecOldRecord returns the record in one of codecOldFiles.
func codecOldRecord(t testing.TB, file string) []byte {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data, err := hex.DecodeString(strings.TrimSpace(string(text)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
