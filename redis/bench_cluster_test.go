package redis

import (
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// benchClusterSessions is how many sessions, one per customer, the cluster
// benchmarks store, so that lookups go to every master.
const benchClusterSessions = 1000

// benchClusterStore returns a store on the cluster with one session for
// each of benchClusterSessions customers, and their tokens.
func benchClusterStore(b *testing.B) (*Store, []string) {
	b.Helper()
	cc := clusterClient(b)
	prefix := testPrefix(b, cc)
	s, err := New(cc, &Options{Options: sessionstore.Options{SweepInterval: -1}, KeyPrefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	toks := make([]string, benchClusterSessions)
	for i := range toks {
		ses, err := s.Create(bg, createParams(i, 0))
		if err != nil {
			b.Fatal(err)
		}
		toks[i] = ses.Token
	}
	if _, err := s.Lookup(bg, toks[0]); err != nil { // checks the old layout once
		b.Fatal(err)
	}
	return s, toks
}

// BenchmarkClusterLookup is a Lookup of one of 1,000 sessions spread over
// the cluster's masters, one at a time: its latency.
func BenchmarkClusterLookup(b *testing.B) {
	s, toks := benchClusterStore(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Lookup(bg, toks[i%len(toks)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClusterRawHGet is the HGET of the record's data that a Lookup
// sends, on the same client and sessions, without the store: what
// BenchmarkClusterLookup is measured against (at most 1.2 times).
func BenchmarkClusterRawHGet(b *testing.B) {
	s, toks := benchClusterStore(b)
	hasher := token.NewHasher(nil) // the store's, with no Secret
	keysOf := make([]string, len(toks))
	for i, tok := range toks {
		r := backend.TokenRoute(tok, sessionstore.DefaultTokenPrefix)
		keysOf[i] = s.b.at(r).record(hasher.Sum(tok).String())
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := s.b.c.HGet(bg, keysOf[i%len(keysOf)], fieldData).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClusterLookupParallel is BenchmarkClusterLookup from many
// goroutines: the store's throughput on the cluster from this client.
func BenchmarkClusterLookupParallel(b *testing.B) {
	s, toks := benchClusterStore(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Lookup(bg, toks[i%len(toks)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
