package badger

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

func TestOpenValidation(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]struct {
		path  string
		opts  *Options
		field string
	}{
		"in-memory with a path": {dir, &Options{InMemory: true}, "path"},
		"no path":               {"", nil, "path"},
		"bad option":            {filepath.Join(dir, "x"), &Options{Options: sessionstore.Options{TTL: -1}}, "options.ttl"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Open(tc.path, tc.opts)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			var ve *sessionstore.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !errors.Is(err, sessionstore.ErrInvalid) {
				t.Fatalf("Open = %v, want a ValidationError for %s", err, tc.field)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open with bad options created its directory: %v", err)
	}
}

func TestOpenNilOptions(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ms := mustCreate(t, s, 1, 1)
	if _, err := s.Lookup(context.Background(), ms.Token); err != nil {
		t.Errorf("Lookup: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCloseIdempotentAndClosedErrors(t *testing.T) {
	before := runtime.NumGoroutine()
	o := &Options{InMemory: false, GCInterval: time.Millisecond, Options: sessionstore.Options{SweepInterval: time.Millisecond}}
	s, err := Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ms := mustCreate(t, s, 1, 1)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Ping after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !s.b.db.IsClosed() {
		t.Error("Close left the DB that Open opened open")
	}
	if _, err := s.Lookup(ctx, ms.Token); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Lookup after Close = %v", err)
	}
	// The backend itself refuses calls after Close too.
	if _, err := s.b.Find(ctx, token.Hash{}, backend.NoRoute); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("backend Find after Close = %v", err)
	}
	if _, err := s.b.Select(ctx, backend.Selector{Index: backend.IndexMember, Key: "m"}); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("backend Select after Close = %v", err)
	}
	if _, err := s.b.DeleteExpired(ctx, time.Now(), 10); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("backend DeleteExpired after Close = %v", err)
	}
	storetest.CheckGoroutines(t, before)
}

func TestNoGoroutineLeakInMemory(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 3 {
		s, err := Open("", &Options{InMemory: true, Options: sessionstore.Options{SweepInterval: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, 1, 1)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	storetest.CheckGoroutines(t, before)
}

func TestNewLeavesCallersDB(t *testing.T) {
	db, err := badgerdb.Open(badgerdb.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(txn *badgerdb.Txn) error { return txn.Set([]byte("app:key"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	o.GCInterval = time.Millisecond // in-memory: never started
	s, err := New(db, &o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ms := mustCreate(t, s, 1, 1)
	clock.Advance(2 * time.Hour)
	if n, err := s.DeleteExpired(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if db.IsClosed() {
		t.Fatal("Close closed the caller's DB")
	}
	if _, err := s.Lookup(ctx, ms.Token); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Lookup after Close = %v", err)
	}
	storetest.CheckGoroutines(t, before)
	// The caller's key is untouched and the store left nothing behind.
	err = db.View(func(txn *badgerdb.Txn) error {
		item, err := txn.Get([]byte("app:key"))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if string(v) != "v" {
				t.Errorf("caller's value = %q", v)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, db, []byte(keyPrefix)); n != 0 {
		t.Errorf("%d keys under the prefix after purging everything", n)
	}
}

func TestNewValidation(t *testing.T) {
	var ve *sessionstore.ValidationError
	if _, err := New(nil, nil); !errors.As(err, &ve) || ve.Field != "db" {
		t.Errorf("New(nil) = %v", err)
	}
	db, err := badgerdb.Open(badgerdb.DefaultOptions("").WithInMemory(true).WithLogger(nil).WithDetectConflicts(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(db, nil); !errors.As(err, &ve) || ve.Field != "db" {
		t.Errorf("New on a DB without conflict detection = %v", err)
	}
	db.Close()
	db, err = badgerdb.Open(badgerdb.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(db, &Options{Options: sessionstore.Options{TokenPrefix: "BAD!"}}); !errors.As(err, &ve) || ve.Field != "options.token_prefix" {
		t.Errorf("New with a bad prefix = %v", err)
	}
	db.Close()
	if _, err := New(db, nil); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("New on a closed DB = %v", err)
	}
}

// TestCallerClosesDB: a caller that closes its DB under a live store gets
// ErrClosed, not a panic.
func TestCallerClosesDB(t *testing.T) {
	db, err := badgerdb.Open(badgerdb.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	s, err := New(db, &o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms := mustCreate(t, s, 1, 1)
	db.Close()
	ctx := context.Background()
	if _, err := s.Lookup(ctx, ms.Token); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Lookup = %v", err)
	}
	if _, err := s.ListByMember(ctx, ms.MemberID); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("ListByMember = %v", err)
	}
	if _, err := s.Create(ctx, params(1, 2)); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Create = %v", err)
	}
}

// snapshot is everything a caller can read about some sessions.
type snapshot struct {
	lookups   map[string]string // token → session or error
	gets      map[string]string
	members   map[string][]*sessionstore.MemberSession
	customers map[string][]*sessionstore.MemberSession
}

func takeSnapshot(t *testing.T, s sessionstore.Store, sessions []*sessionstore.MemberSession) snapshot {
	t.Helper()
	ctx := context.Background()
	sn := snapshot{map[string]string{}, map[string]string{}, map[string][]*sessionstore.MemberSession{}, map[string][]*sessionstore.MemberSession{}}
	describe := func(ms *sessionstore.MemberSession, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		j, err := ms.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		return string(j) + ms.Token + ms.MemberPortalURL
	}
	for _, ms := range sessions {
		sn.lookups[ms.Token] = describe(s.Lookup(ctx, ms.Token))
		sn.gets[ms.ID] = describe(s.Get(ctx, ms.ID))
		l, err := s.ListByMember(ctx, ms.MemberID)
		if err != nil {
			t.Fatal(err)
		}
		sn.members[ms.MemberID] = l
		if l, err = s.ListByCustomer(ctx, ms.CustomerID); err != nil {
			t.Fatal(err)
		}
		sn.customers[ms.CustomerID] = l
	}
	return sn
}

// TestRestart: what a store holds survives Close and Open of its directory.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	s, err := Open(dir, &o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var all []*sessionstore.MemberSession
	for c := range 3 {
		for m := range 3 {
			all = append(all, mustCreate(t, s, c, m), mustCreate(t, s, c, m))
		}
	}
	clock.Advance(10 * time.Minute)
	if err := s.Revoke(ctx, all[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeMember(ctx, all[4].MemberID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Extend(ctx, all[6].ID, 3*time.Hour); err != nil {
		t.Fatal(err)
	}
	m := storetest.NewMember(all[8].CustomerID, 1)
	m.Email = "renamed@example.com"
	if n, err := s.UpdateMember(ctx, m); err != nil || n == 0 {
		t.Fatalf("UpdateMember = %d, %v", n, err)
	}
	c := storetest.NewCustomer(2)
	c.Metadata["plan"] = sessionstore.StringValue("enterprise")
	if n, err := s.UpdateCustomer(ctx, c); err != nil || n == 0 {
		t.Fatalf("UpdateCustomer = %d, %v", n, err)
	}
	clock.Advance(55 * time.Minute) // the sessions not extended expire
	before := takeSnapshot(t, s, all)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, &o)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer s.Close()
	after := takeSnapshot(t, s, all)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("the store changed across a restart:\nbefore %v\n after %v", before, after)
	}
	if got := after.lookups[all[6].Token]; strings.HasPrefix(got, "error") {
		t.Errorf("extended session after restart: %s", got)
	}
	if got := after.lookups[all[0].Token]; !strings.Contains(got, sessionstore.ErrExpired.Error()) {
		t.Errorf("expired session after restart: %s", got)
	}
	if got := after.lookups[all[1].Token]; !strings.Contains(got, sessionstore.ErrNotFound.Error()) {
		t.Errorf("revoked session after restart: %s", got)
	}
	if c := checkConsistency(t, s.b.db, false); c.records != len(all)-3 {
		t.Errorf("%d records stored, want %d", c.records, len(all)-3)
	}
}

// TestCorruptRecord: a record overwritten with garbage is ErrCorrupt for its
// own token and ID, and nothing else.
func TestCorruptRecord(t *testing.T) {
	garbage := map[string]func(orig []byte) []byte{
		"random":       func([]byte) []byte { return []byte("\x93\x00garbage\xff\xfe not a record") },
		"empty":        func([]byte) []byte { return []byte{} },
		"truncated":    func(orig []byte) []byte { return orig[:len(orig)/2] },
		"version 9":    func(orig []byte) []byte { return append([]byte{9}, orig[1:]...) },
		"trailing":     func(orig []byte) []byte { return append(bytes.Clone(orig), 0) },
		"huge lengths": func([]byte) []byte { return append([]byte{1, 0}, bytes.Repeat([]byte{0xff}, 9)...) },
	}
	for name, corrupt := range garbage {
		t.Run(name, func(t *testing.T) {
			clock := storetest.NewClock(storetest.StartTime())
			o := fakeOptions(clock)
			s, err := Open(t.TempDir(), &o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			a, bad, c := mustCreate(t, s, 1, 1), mustCreate(t, s, 1, 1), mustCreate(t, s, 2, 1)
			h := hashOf(t, s, bad.ID)
			err = s.b.db.Update(func(txn *badgerdb.Txn) error {
				item, err := txn.Get(recordKey(h))
				if err != nil {
					return err
				}
				orig, err := item.ValueCopy(nil)
				if err != nil {
					return err
				}
				return txn.Set(recordKey(h), corrupt(orig))
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Lookup(ctx, bad.Token); !errors.Is(err, sessionstore.ErrCorrupt) {
				t.Errorf("Lookup of the corrupt session = %v, want ErrCorrupt", err)
			}
			if _, err := s.Get(ctx, bad.ID); !errors.Is(err, sessionstore.ErrCorrupt) {
				t.Errorf("Get of the corrupt session = %v, want ErrCorrupt", err)
			}
			for _, ms := range []*sessionstore.MemberSession{a, c} {
				if _, err := s.Lookup(ctx, ms.Token); err != nil {
					t.Errorf("Lookup of a sound session: %v", err)
				}
			}
			if l, err := s.ListByMember(ctx, c.MemberID); err != nil || len(l) != 1 {
				t.Errorf("ListByMember of another member = %d sessions, %v", len(l), err)
			}
			if _, err := s.Extend(ctx, c.ID, 0); err != nil {
				t.Errorf("Extend of a sound session: %v", err)
			}
			// Once expired, the corrupt record is purged with the others:
			// the expiry index has all it needs.
			checkConsistency(t, s.b.db, true)
			clock.Advance(3 * time.Hour)
			if n, err := s.DeleteExpired(ctx); err != nil || n != 3 {
				t.Errorf("DeleteExpired = %d, %v; want 3", n, err)
			}
			if n := countKeys(t, s.b.db, []byte(keyPrefix)); n != 0 {
				t.Errorf("%d keys left after purging", n)
			}
		})
	}
}

// hashOf returns the stored token hash of session id.
func hashOf(t *testing.T, s *Store, id string) token.Hash {
	t.Helper()
	var h token.Hash
	err := s.b.db.View(func(txn *badgerdb.Txn) error {
		item, err := txn.Get(idKey(id))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { h, _ = hashValue(v); return nil })
	})
	if err != nil {
		t.Fatalf("reading the ID entry: %v", err)
	}
	return h
}

// TestAtRest: no token, nor its random part, is written to disk.
func TestAtRest(t *testing.T) {
	dir := t.TempDir()
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	o.SyncWrites = true
	s, err := Open(dir, &o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var secrets [][]byte
	for i := range 200 {
		ms := mustCreate(t, s, i%7, i%3)
		secrets = append(secrets, []byte(ms.Token), []byte(ms.Token[len(sessionstore.DefaultTokenPrefix):][:token.RandomLen]))
		if i%10 == 0 {
			if _, err := s.Extend(ctx, ms.ID, 2*time.Hour); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, sec := range secrets {
			if bytes.Contains(data, sec) {
				t.Errorf("%s contains a token or its random part", filepath.Base(path))
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no file written")
	}
}

// TestPurgeEverything: many sessions, all expired and purged, leave no key
// at all under the prefix.
func TestPurgeEverything(t *testing.T) {
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 10_000
	}
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	s, err := Open(t.TempDir(), &o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	start := time.Now()
	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				// 1000 customers of up to 5 members each.
				if _, err := s.Create(ctx, params(i%1000, i%5)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	created := time.Since(start)
	if c := countKeys(t, s.b.db, []byte(keyPrefix)); c < 5*n {
		t.Fatalf("%d keys for %d sessions", c, n)
	}
	clock.Advance(time.Hour)
	start = time.Now()
	got, err := s.DeleteExpired(ctx)
	if err != nil || got != n {
		t.Fatalf("DeleteExpired = %d, %v; want %d", got, err, n)
	}
	purged := time.Since(start)
	if c := countKeys(t, s.b.db, []byte(keyPrefix)); c != 0 {
		t.Errorf("%d keys left under the prefix", c)
	}
	if again, err := s.DeleteExpired(ctx); err != nil || again != 0 {
		t.Errorf("second DeleteExpired = %d, %v", again, err)
	}
	t.Logf("%d sessions: created in %v, purged in %v", n, created, purged)
}

// TestRevokeMemberRacingCreates: no session whose Create returned before
// RevokeMember was called authenticates afterwards, while creates for the
// same member keep running.
func TestRevokeMemberRacingCreates(t *testing.T) {
	for _, mode := range []string{"disk", "memory"} {
		t.Run(mode, func(t *testing.T) {
			clock := storetest.NewClock(storetest.StartTime())
			o := fakeOptions(clock)
			path := t.TempDir()
			if mode == "memory" {
				path, o.InMemory = "", true
			}
			s, err := Open(path, &o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			var (
				mu      sync.Mutex
				created []*sessionstore.MemberSession
				stop    = make(chan struct{})
				wg      sync.WaitGroup
			)
			for range 4 {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						ms, err := s.Create(ctx, params(1, 1))
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						created = append(created, ms)
						mu.Unlock()
					}
				})
			}
			rounds := 20
			if testing.Short() {
				rounds = 5
			}
			member := storetest.MemberID(storetest.CustomerID(1), 1)
			for range rounds {
				// Let some creates finish.
				for {
					mu.Lock()
					n := len(created)
					mu.Unlock()
					if n >= 5 {
						break
					}
					runtime.Gosched()
				}
				mu.Lock()
				before := created
				created = nil
				mu.Unlock()
				if _, err := s.RevokeMember(ctx, member); err != nil {
					t.Fatal(err)
				}
				for _, ms := range before {
					if _, err := s.Lookup(ctx, ms.Token); !errors.Is(err, sessionstore.ErrNotFound) {
						t.Fatalf("session created before RevokeMember: Lookup = %v, want ErrNotFound", err)
					}
				}
			}
			close(stop)
			wg.Wait()
			checkConsistency(t, s.b.db, false)
		})
	}
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	h := slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug})
	s, err := Open(t.TempDir(), &Options{Logger: slog.New(h), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, "component=badger") {
		t.Errorf("Badger logged nothing to the slog.Logger:\n%s", out)
	}
	if strings.Contains(out, "\\n\"") {
		t.Errorf("log lines keep Badger's trailing newline:\n%s", out)
	}

	// The level mapping, and no formatting below the handler's level.
	buf.Reset()
	l := newLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	l.Errorf("e %d\n", 1)
	l.Warningf("w %d", 2)
	l.Infof("i %v", formatPanics{})
	l.Debugf("d %v", formatPanics{})
	got := buf.String()
	for _, want := range []string{"level=ERROR msg=\"e 1\"", "level=WARN msg=\"w 2\""} {
		if !strings.Contains(got, want) {
			t.Errorf("log output lacks %s:\n%s", want, got)
		}
	}
	// The default discards.
	newLogger(nil).Errorf("nowhere %v", formatPanics{})
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// formatPanics fails the test if a disabled log line is formatted.
type formatPanics struct{}

func (formatPanics) String() string { panic("a disabled log line was formatted") }

// TestRevokeRemovesCorruptRecord: RevokeMember removes a record it cannot
// decode by key; what it cannot name without decoding (the expiry entry,
// the customer's entry) goes with DeleteExpired, leaving no key behind.
func TestRevokeRemovesCorruptRecord(t *testing.T) {
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	s, err := Open(t.TempDir(), &o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	a, bad, other := mustCreate(t, s, 1, 1), mustCreate(t, s, 1, 1), mustCreate(t, s, 1, 2)
	corruptible{s}.CorruptSession(t, bad.ID)
	if n, err := s.RevokeMember(ctx, a.MemberID); n != 1 || err != nil {
		t.Fatalf("RevokeMember = %d, %v; want 1", n, err)
	}
	for _, ms := range []*sessionstore.MemberSession{a, bad} {
		if _, err := s.Lookup(ctx, ms.Token); !errors.Is(err, sessionstore.ErrNotFound) {
			t.Errorf("Lookup after RevokeMember = %v, want ErrNotFound", err)
		}
	}
	if l, err := s.ListByCustomer(ctx, other.CustomerID); err != nil || len(l) != 1 {
		t.Fatalf("ListByCustomer = %d sessions, %v; want 1", len(l), err)
	}
	clock.Advance(3 * time.Hour)
	if n, err := s.DeleteExpired(ctx); n != 1 || err != nil {
		t.Errorf("DeleteExpired = %d, %v; want 1", n, err)
	}
	checkConsistency(t, s.b.db, false)
	if n := countKeys(t, s.b.db, []byte(keyPrefix)); n != 0 {
		t.Errorf("%d keys left after purging", n)
	}
}
