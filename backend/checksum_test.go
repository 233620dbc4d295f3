package backend

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/memberkit/sessionstore"
)

// TestRecordChecksumSealed: every record MarshalBinary writes is sealed,
// and its checksum is the CRC-32C of what precedes it.
func TestRecordChecksumSealed(t *testing.T) {
	for _, r := range []*Record{codecRichRecord(), codecBareRecord()} {
		b := codecMarshal(t, r)
		if b[0] != recordVersion|sealedFlag {
			t.Fatalf("version byte %#x, want %#x", b[0], recordVersion|sealedFlag)
		}
		version, payload, err := unseal(b)
		if err != nil || version != recordVersion || len(payload) != len(b)-checksumLen {
			t.Fatalf("unseal = %d, %d bytes, %v", version, len(payload), err)
		}
	}
}

// TestRecordChecksumUnsealedStillDecodes: a version 1 record without the
// checksum, as stores written before it hold, decodes to the same record.
func TestRecordChecksumUnsealedStillDecodes(t *testing.T) {
	for _, r := range []*Record{codecRichRecord(), codecBareRecord()} {
		sealed := codecMarshal(t, r)
		old := bytes.Clone(sealed[:len(sealed)-checksumLen])
		old[0] &^= sealedFlag
		var a, b Record
		if err := a.UnmarshalBinary(sealed); err != nil {
			t.Fatal(err)
		}
		if err := b.UnmarshalBinary(old); err != nil {
			t.Fatalf("unsealed version 1 record: %v", err)
		}
		if !reflect.DeepEqual(&a, &b) {
			t.Fatalf("unsealed record decodes differently:\n%#v\n%#v", &a, &b)
		}
	}
}

// TestRecordChecksumDetectsDamage: flipping any bit of a sealed record, or
// cutting it short, is ErrCorrupt, never a different record.
func TestRecordChecksumDetectsDamage(t *testing.T) {
	valid := codecMarshal(t, codecRichRecord())
	for i := range valid {
		for bit := range 8 {
			b := bytes.Clone(valid)
			b[i] ^= 1 << bit
			if err := new(Record).UnmarshalBinary(b); !errors.Is(err, sessionstore.ErrCorrupt) {
				t.Fatalf("bit %d of byte %d flipped: err = %v, want ErrCorrupt", bit, i, err)
			}
		}
	}
	for n := range len(valid) {
		if err := new(Record).UnmarshalBinary(valid[:n]); !errors.Is(err, sessionstore.ErrCorrupt) {
			t.Fatalf("cut to %d bytes: err = %v, want ErrCorrupt", n, err)
		}
	}
	for _, short := range [][]byte{{recordVersion | sealedFlag}, {recordVersion | sealedFlag, 0, 0, 0, 0}} {
		if err := new(Record).UnmarshalBinary(short); !errors.Is(err, sessionstore.ErrCorrupt) {
			t.Fatalf("%x: err = %v, want ErrCorrupt", short, err)
		}
	}
}
