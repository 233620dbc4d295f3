package badger

import (
	"context"
	"encoding/binary"
	"testing"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

// params returns the CreateParams of member m of customer c.
func params(c, m int) sessionstore.CreateParams {
	cust := storetest.NewCustomer(c)
	return sessionstore.CreateParams{Member: storetest.NewMember(cust.ID, m), Customer: cust}
}

// fakeOptions returns store options on a fake clock with the sweeper off.
func fakeOptions(clock *storetest.Clock) Options {
	return Options{
		Options:    sessionstore.Options{Now: clock.Now, SweepInterval: -1, ExpiredRetention: -1, MaxSessionsPerMember: -1},
		GCInterval: -1,
	}
}

// mustCreate creates a session of member m of customer c.
func mustCreate(t testing.TB, s sessionstore.Store, c, m int) *sessionstore.MemberSession {
	t.Helper()
	ms, err := s.Create(context.Background(), params(c, m))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return ms
}

// consistency is what checkConsistency found.
type consistency struct {
	records, keys int
}

// checkConsistency reads every key of the store in db and checks that the
// indexes and the records agree: every index entry points at a stored
// record of the right ID, member, customer and expiry; every record has
// exactly its ID, member, customer and expiry entries; every group counter
// equals its group's size; and no other key exists. Corrupt records are
// allowed when allowCorrupt (their entries are then checked against the
// expiry index only).
func checkConsistency(t testing.TB, db *badgerdb.DB, allowCorrupt bool) consistency {
	t.Helper()
	type entries struct {
		id, member, customer, expiry int
	}
	recs := map[token.Hash]*backend.Record{}
	corrupt := map[token.Hash]bool{}
	seen := map[token.Hash]*entries{}
	type ref struct {
		h                    token.Hash
		id, member, customer string
		expiry               uint64
		hasExpiry            bool
		tag                  byte
	}
	var refs []ref
	counts := map[string]uint64{}
	n := 0
	err := db.View(func(txn *badgerdb.Txn) error {
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte(keyPrefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
			k := it.Item().KeyCopy(nil)
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			rest := k[len(keyPrefix)+1:]
			switch tag := k[len(keyPrefix)]; tag {
			case tagRecord:
				var h token.Hash
				if len(rest) != hashLen {
					t.Errorf("record key %q has a bad length", k)
					continue
				}
				copy(h[:], rest)
				r := new(backend.Record)
				if err := r.UnmarshalBinary(v); err != nil {
					if !allowCorrupt {
						t.Errorf("record %x: %v", h, err)
					}
					corrupt[h] = true
					continue
				}
				if r.TokenHash != h {
					t.Errorf("record under %x holds hash %x", h, r.TokenHash)
				}
				recs[h] = r
			case tagID:
				h, ok := hashValue(v)
				if !ok {
					t.Errorf("ID entry %q: bad value", k)
				}
				refs = append(refs, ref{h: h, id: string(rest), tag: tag})
			case tagMember, tagCustomer:
				l, w := binary.Uvarint(rest)
				if w <= 0 || int(l) > len(rest)-w {
					t.Errorf("group key %q is malformed", k)
					continue
				}
				group, id := string(rest[w:w+int(l)]), string(rest[w+int(l):])
				h, ok := hashValue(v)
				if !ok {
					t.Errorf("group entry %q: bad value", k)
				}
				r := ref{h: h, id: id, tag: tag}
				if tag == tagMember {
					r.member = group
				} else {
					r.customer = group
				}
				refs = append(refs, r)
			case tagExpiry:
				when, ok := expiryKeyTime(k)
				h, member, customer, ok2 := parseExpiryValue(v)
				if !ok || !ok2 {
					t.Errorf("expiry entry %q is malformed", k)
					continue
				}
				refs = append(refs, ref{h: h, id: string(k[len(expiryPrefix)+8:]), member: member,
					customer: customer, expiry: when, hasExpiry: true, tag: tag})
			case tagCount:
				if len(v) != 8 || binary.BigEndian.Uint64(v) == 0 {
					t.Errorf("counter %q holds %x", k, v)
				}
				counts[string(k)] = binary.BigEndian.Uint64(v)
			default:
				t.Errorf("unknown key %q", k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the DB: %v", err)
	}
	for _, r := range refs {
		e := seen[r.h]
		if e == nil {
			e = &entries{}
			seen[r.h] = e
		}
		if corrupt[r.h] {
			if r.tag == tagExpiry {
				e.expiry++
			}
			continue
		}
		rec := recs[r.h]
		if rec == nil {
			t.Errorf("index entry %c for ID %s points at a missing record", r.tag, r.id)
			continue
		}
		if rec.ID != r.id {
			t.Errorf("index entry %c for ID %s points at record %s", r.tag, r.id, rec.ID)
		}
		switch r.tag {
		case tagID:
			e.id++
		case tagMember:
			e.member++
			if r.member != rec.MemberID() {
				t.Errorf("member entry %s of record %s of member %s", r.member, rec.ID, rec.MemberID())
			}
		case tagCustomer:
			e.customer++
			if r.customer != rec.CustomerID() {
				t.Errorf("customer entry %s of record %s of customer %s", r.customer, rec.ID, rec.CustomerID())
			}
		case tagExpiry:
			e.expiry++
			if r.expiry != expiryTime(rec.ExpiresAt) || r.member != rec.MemberID() || r.customer != rec.CustomerID() {
				t.Errorf("expiry entry of record %s does not match it", rec.ID)
			}
		}
	}
	want := map[string]uint64{}
	for h, rec := range recs {
		if e := seen[h]; e == nil || *e != (entries{1, 1, 1, 1}) {
			t.Errorf("record %s has index entries %+v, want one of each", rec.ID, e)
		}
	}
	for h := range corrupt {
		if e := seen[h]; e == nil || e.expiry != 1 {
			t.Errorf("corrupt record %x has no expiry entry", h)
		}
	}
	if !allowCorrupt || len(corrupt) == 0 {
		for k, c := range counts {
			if want[k] != c {
				t.Errorf("counter %q = %d, want %d", k, c, want[k])
			}
		}
		for k, c := range want {
			if counts[k] != c {
				t.Errorf("counter %q = %d, want %d", k, counts[k], c)
			}
		}
	}
	return consistency{records: len(recs) + len(corrupt), keys: n}
}

// countKeys returns how many keys of db start with prefix.
func countKeys(t testing.TB, db *badgerdb.DB, prefix []byte) int {
	t.Helper()
	n := 0
	err := db.View(func(txn *badgerdb.Txn) error {
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("counting keys: %v", err)
	}
	return n
}
