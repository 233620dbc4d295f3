package redis

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

// newConformanceStore is the storetest factory: a store on the shared
// server under a prefix of its own, removed when t ends.
func newConformanceStore(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	t.Helper()
	c := client(t)
	o := &Options{KeyPrefix: testPrefix(t, c)}
	if opts != nil {
		o.Options = *opts
	}
	s, err := New(c, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return corruptible{s}
}

// corruptible is a store whose records the conformance suite can damage.
type corruptible struct{ *Store }

// CorruptSession implements storetest.Corrupter: it overwrites the data
// field of the record hash of session id with three bytes, keeping the
// hash's plain fields and every index entry.
func (s corruptible) CorruptSession(t testing.TB, id string) {
	t.Helper()
	k := s.b.at(backend.IDRoute(id))
	hx, err := s.b.c.Get(bg, k.id(id)).Result()
	if err != nil {
		t.Fatalf("reading the ID key of %s: %v", id, err)
	}
	if err := s.b.c.HSet(bg, k.record(hx), fieldData, []byte{0x81, 0x00, 0x07}).Err(); err != nil {
		t.Fatalf("damaging session %s: %v", id, err)
	}
}

func TestConformance(t *testing.T) {
	requireServer(t)
	storetest.Run(t, newConformanceStore)
}

func TestProperties(t *testing.T) {
	requireServer(t)
	storetest.RunProperties(t, newConformanceStore)
}

func TestStress(t *testing.T) {
	requireServer(t)
	storetest.RunStress(t, newConformanceStore)
}

func TestNewOptions(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"}) // never dialed
	defer c.Close()
	for _, p := range []string{"a{b", "a}b", "{x}"} {
		if _, err := New(c, &Options{KeyPrefix: p}); !errors.Is(err, sessionstore.ErrInvalid) {
			t.Errorf("New(KeyPrefix %q) = %v, want ErrInvalid", p, err)
		}
	}
	if _, err := New(nil, nil); !errors.Is(err, sessionstore.ErrInvalid) {
		t.Errorf("New(nil client) = %v, want ErrInvalid", err)
	}
	if _, err := New(c, &Options{Options: sessionstore.Options{TTL: -time.Second}}); !errors.Is(err, sessionstore.ErrInvalid) {
		t.Errorf("New(bad TTL) = %v, want ErrInvalid", err)
	}
	s, err := New(c, nil) // does not contact Redis
	if err != nil {
		t.Fatalf("New(nil opts) = %v", err)
	}
	if s.b.k.tag != "{"+DefaultKeyPrefix+"}" {
		t.Errorf("default tag %q", s.b.k.tag)
	}
	_ = s.Close()
}

func TestCloseLeavesClientOpen(t *testing.T) {
	c := client(t)
	clk := storetest.NewClock(farStart)
	s := newTestStore(t, testPrefix(t, c), clk)
	ms, err := s.Create(bg, createParams(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(bg); err != nil {
		t.Errorf("Ping = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(bg, ms.Token); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Lookup after Close = %v", err)
	}
	if err := s.Ping(bg); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Ping after Close = %v", err)
	}
	if err := c.Ping(bg).Err(); err != nil {
		t.Errorf("the caller's client was closed: %v", err)
	}
	// The session is still in Redis for a new store.
	s2 := newTestStore(t, s.b.k.tag[1:len(s.b.k.tag)-1], clk)
	if _, err := s2.Lookup(bg, ms.Token); err != nil {
		t.Errorf("Lookup through a new store = %v", err)
	}
}

// TestTwoStores runs two Store values on one Redis and one prefix, as two
// processes would: each sees the other's writes at once.
func TestTwoStores(t *testing.T) {
	c := client(t)
	prefix := testPrefix(t, c)
	clk := storetest.NewClock(farStart)
	a, b := newTestStore(t, prefix, clk), newTestStore(t, prefix, clk)

	s1, err := a.Create(bg, createParams(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Lookup(bg, s1.Token)
	if err != nil || got.ID != s1.ID || got.MemberPortalURL != s1.MemberPortalURL {
		t.Fatalf("Lookup through the other store = %v, %v", got, err)
	}
	if err := b.Revoke(bg, s1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Lookup(bg, s1.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("Lookup right after a revoke through the other store = %v, want ErrNotFound", err)
	}

	// RevokeMember and UpdateCustomer through one are seen by the other.
	var toks []string
	for range 3 {
		s, err := a.Create(bg, createParams(0, 1))
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, s.Token)
	}
	other, err := b.Create(bg, createParams(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := b.RevokeMember(bg, createParams(0, 1).Member.ID); n != 3 || err != nil {
		t.Fatalf("RevokeMember = %d, %v", n, err)
	}
	for _, tok := range toks {
		if _, err := a.Lookup(bg, tok); !errors.Is(err, sessionstore.ErrNotFound) {
			t.Errorf("Lookup after RevokeMember through the other store = %v", err)
		}
	}
	cu := createParams(0, 2).Customer
	cu.Name = strptr("Renamed")
	if n, err := a.UpdateCustomer(bg, cu); n != 1 || err != nil {
		t.Fatalf("UpdateCustomer = %d, %v", n, err)
	}
	got, err = b.Lookup(bg, other.Token)
	if err != nil || got.Customer.Name == nil || *got.Customer.Name != "Renamed" {
		t.Errorf("Lookup after UpdateCustomer through the other store = %v, %v", got, err)
	}

	// Extend through one, expiry decided by the shared clock in both.
	clk.Advance(30 * time.Minute)
	if _, err := b.Extend(bg, other.ID, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if _, err := a.Lookup(bg, other.Token); err != nil {
		t.Errorf("Lookup of a session extended through the other store = %v", err)
	}
	clk.Advance(2 * time.Hour)
	if _, err := a.Lookup(bg, other.Token); !errors.Is(err, sessionstore.ErrExpired) {
		t.Errorf("Lookup after expiry = %v, want ErrExpired", err)
	}
	if n, err := b.DeleteExpired(bg); n != 1 || err != nil {
		t.Errorf("DeleteExpired = %d, %v", n, err)
	}
	if _, err := a.Lookup(bg, other.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("Lookup after purge = %v, want ErrNotFound", err)
	}
	if keys := scanKeys(t, bg, c, prefix); len(keys) != 0 {
		t.Errorf("keys left after every session ended: %q", keys)
	}
}

// TestAtRest checks that no key name and no stored value holds a token or
// its random part, with and without a Secret.
func TestAtRest(t *testing.T) {
	for _, secret := range [][]byte{nil, []byte("server-secret")} {
		c := client(t)
		prefix := testPrefix(t, c)
		clk := storetest.NewClock(farStart)
		s, err := New(c, &Options{
			Options:   sessionstore.Options{Now: clk.Now, SweepInterval: -1, ExpiredRetention: -1, Secret: secret, PortalURL: "https://polar.sh/acme/portal"},
			KeyPrefix: prefix,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var secrets []string
		for i := range 5 {
			p := createParams(i%2, i)
			p.ReturnURL = "https://example.com/account"
			ms, err := s.Create(bg, p)
			if err != nil {
				t.Fatal(err)
			}
			random := ms.Token[len(sessionstore.DefaultTokenPrefix) : len(sessionstore.DefaultTokenPrefix)+token.RandomLen]
			secrets = append(secrets, ms.Token, random, ms.MemberPortalURL)
		}
		// One extended, so its record was rewritten.
		if _, err := s.Extend(bg, mustGetFirst(t, s, createParams(0, 0).Member.ID), time.Hour); err != nil {
			t.Fatal(err)
		}
		keys := scanKeys(t, bg, c, prefix)
		if len(keys) == 0 {
			t.Fatal("no keys stored")
		}
		for _, k := range keys {
			d, err := c.Dump(bg, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			// A small hash or set is stored uncompressed; check the raw
			// values too in case DUMP compressed them.
			vals := []string{k, d}
			switch c.Type(bg, k).Val() {
			case "hash":
				for f, v := range c.HGetAll(bg, k).Val() {
					vals = append(vals, f, v)
				}
			case "set":
				vals = append(vals, c.SMembers(bg, k).Val()...)
			case "zset":
				vals = append(vals, c.ZRange(bg, k, 0, -1).Val()...)
			case "string":
				vals = append(vals, c.Get(bg, k).Val())
			}
			for _, v := range vals {
				for _, sec := range secrets {
					if strings.Contains(v, sec) || bytes.Contains([]byte(v), []byte(sec)) {
						t.Fatalf("key %q holds a token or its random part", k)
					}
				}
			}
		}
	}
}

func mustGetFirst(t *testing.T, s *Store, memberID string) string {
	t.Helper()
	l, err := s.ListByMember(bg, memberID)
	if err != nil || len(l) == 0 {
		t.Fatalf("ListByMember = %v, %v", l, err)
	}
	return l[0].ID
}

// TestRevokeMemberDuringCreates races Creates with RevokeMember through
// two stores: no session whose Create returned before RevokeMember was
// called authenticates afterwards.
func TestRevokeMemberDuringCreates(t *testing.T) {
	c := client(t)
	prefix := testPrefix(t, c)
	clk := storetest.NewClock(farStart)
	a, b := newTestStore(t, prefix, clk), newTestStore(t, prefix, clk)
	p := createParams(0, 0)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	type created struct {
		tok    string
		before bool
	}
	results := make(chan created, 4096)
	var revoking = make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 2000 && ctx.Err() == nil; i++ {
			s, err := a.Create(ctx, p)
			if err != nil {
				if ctx.Err() == nil {
					t.Error(err)
				}
				return
			}
			select {
			case <-revoking:
				results <- created{s.Token, false}
			default:
				results <- created{s.Token, true}
			}
		}
	}()
	// Let some Creates land, then revoke while they go on.
	var before []string
	for len(before) < 20 {
		r := <-results
		before = append(before, r.tok)
	}
	close(revoking)
	if _, err := b.RevokeMember(bg, p.Member.ID); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	close(results)
	for r := range results {
		if r.before {
			before = append(before, r.tok)
		}
	}
	for _, tok := range before {
		if _, err := a.Lookup(bg, tok); !errors.Is(err, sessionstore.ErrNotFound) {
			t.Fatalf("a session created before RevokeMember still looks up: %v", err)
		}
	}
}
