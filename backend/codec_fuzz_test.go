package backend

import (
	"errors"
	"reflect"
	"testing"

	"github.com/memberkit/sessionstore"
)

// FuzzRecordDecode feeds arbitrary bytes to UnmarshalBinary: it must never
// panic, must fail only with ErrCorrupt, and whatever it accepts must
// survive a re-encode and decode unchanged. An unsealed record (written
// before the checksum) may grow by the checksum when encoded again, and
// one of a version before 4 by its kind byte. The
// seeds are records of every version, with and without the fields each
// added.
//
//	go test -run '^$' -fuzz FuzzRecordDecode -fuzztime 1m -fuzzminimizetime 10s ./backend
func FuzzRecordDecode(f *testing.F) {
	for _, r := range []*Record{codecRichRecord(), codecBareRecord()} {
		f.Add(codecMarshal(f, r))
	}
	for _, file := range codecOldFiles {
		f.Add(codecOldRecord(f, file))
	}
	f.Add(codecBareEncoding(flagCusMetadata|flagCusType|flagCusAddress|flagAddrLine2, nil))
	f.Add(codecBareEncoding(0, nil))
	f.Add([]byte{})
	f.Add([]byte{recordVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		if err := r.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, sessionstore.ErrCorrupt) {
				t.Fatalf("error %v does not wrap sessionstore.ErrCorrupt", err)
			}
			return
		}
		enc, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		grow := 0
		if data[0]&sealedFlag == 0 {
			grow = checksumLen
		}
		if data[0]&^sealedFlag < 4 {
			grow++ // the kind byte of version 4
		}
		if len(enc) > len(data)+grow {
			t.Fatalf("re-encoding grew from %d to %d bytes", len(data), len(enc))
		}
		var again Record
		if err := again.UnmarshalBinary(enc); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !reflect.DeepEqual(&r, &again) {
			t.Fatalf("decode, encode, decode differs:\n%#v\n%#v", &r, &again)
		}
		enc2, err := again.MarshalBinary()
		if err != nil || string(enc2) != string(enc) {
			t.Fatalf("encoding is not stable: %v", err)
		}
	})
}
