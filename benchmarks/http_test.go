package benchmarks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/internal/benchkit"
	"github.com/memberkit/sessionstore/sessionhttp"
)

// httpSizes are the store sizes of BenchmarkHTTP: 10k sessions (1k under
// the race detector). A request's cost beyond the lookup does not grow
// with the store, and BenchmarkLookup already covers the sizes.
func httpSizes() []benchkit.Size {
	if benchkit.Race() {
		return []benchkit.Size{{Name: "1k", N: 1_000}}
	}
	return []benchkit.Size{{Name: "10k", N: 10_000}}
}

// BenchmarkHTTP serves an authenticated GET /account, the session in a
// cookie, its handler writing the member's email, from one goroutine
// (run=serial) and from GOMAXPROCS goroutines (run=parallel):
//
//	handler                 the handler alone, writing a constant (no session)
//	BACKEND-lookup          the store's Lookup alone, nothing else
//	BACKEND                 sessionhttp's Required in front of the handler, on the store
//	BACKEND-paired          in each operation, one BACKEND-lookup, one handler and one
//	                        BACKEND request, each on its own session and timed on its
//	                        own, so that a busy spell of a shared machine falls on
//	                        the three alike: request-ns/op, lookup-ns/op, handler-ns/op
//	                        and their ratio request/(lookup+handler), each part less
//	                        the time of reading the clock (clock-ns/op)
//	scs-memstore            scs LoadAndSave with its memstore, the handler reading
//	                        the session's JSON bytes from scs and writing them
//	scs-memstore-decode     the same, the handler decoding the JSON into a
//	                        MemberSession and writing the email
//
// BACKEND is memory, badger, redis (SESSIONSTORE_REDIS_ADDR) or postgres
// (SESSIONSTORE_POSTGRES_URL). The request and the response writer are
// reused (a sync.Pool of them), so that every implementation pays the same
// for them and the difference is the middleware's.
func BenchmarkHTTP(b *testing.B) {
	runGroups(b, httpSizes(), []group{
		{buildHTTPMemory, []string{"handler", "memory-lookup", "memory", "memory-paired"}, []string{"handler", "memory-lookup", "memory", "memory-paired"}, false},
		{buildHTTPScs, []string{"scs-memstore", "scs-memstore-decode"}, []string{"scs-memstore", "scs-memstore-decode"}, false},
		{buildHTTPBadger, []string{"badger-lookup", "badger", "badger-paired"}, []string{"badger-lookup", "badger", "badger-paired"}, false},
		{buildHTTPRedis, []string{"redis-lookup", "redis", "redis-paired"}, []string{"redis-lookup", "redis", "redis-paired"}, false},
		{buildHTTPPostgres, []string{"postgres-lookup", "postgres", "postgres-paired"}, []string{"postgres-lookup", "postgres", "postgres-paired"}, false},
	}, true)
}

// sink is a ResponseWriter that keeps nothing but the headers.
type sink struct {
	h    http.Header
	code int
	n    int
}

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) WriteHeader(code int)        { s.code = code }
func (s *sink) Write(p []byte) (int, error) { s.n += len(p); return len(p), nil }

// WriteString lets io.WriteString write without converting to bytes.
func (s *sink) WriteString(p string) (int, error) { s.n += len(p); return len(p), nil }

// exchange is one request and its writer, reused.
type exchange struct {
	r *http.Request
	w sink
}

// server serves GET /account with cookie values[i] through h.
type server struct {
	h      http.Handler
	values [][]string // the Cookie header of each session
	pool   sync.Pool
}

func newServer(h http.Handler, cookie string, tokens []string) *server {
	u, _ := url.Parse("https://portal.example/account")
	s := &server{h: h, values: make([][]string, len(tokens))}
	for j, tok := range tokens {
		s.values[j] = []string{cookie + "=" + tok}
	}
	s.pool.New = func() any {
		r := (&http.Request{Method: http.MethodGet, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Host: u.Host, RequestURI: u.Path}).WithContext(context.Background())
		return &exchange{r: r, w: sink{h: http.Header{}}}
	}
	return s
}

// serve serves the request of session i and checks it was answered 200.
func (s *server) serve(i int) error {
	x := s.pool.Get().(*exchange)
	defer s.pool.Put(x)
	clear(x.w.h)
	x.w.code, x.w.n = 0, 0
	x.r.Header["Cookie"] = s.values[i]
	s.h.ServeHTTP(&x.w, x.r)
	if x.w.code != 0 && x.w.code != http.StatusOK || x.w.n == 0 {
		return errRequest{x.w.code}
	}
	return nil
}

type errRequest struct{ code int }

func (e errRequest) Error() string { return "request answered " + http.StatusText(e.code) }

// account writes the authenticated member's email.
var account = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	s, ok := sessionhttp.FromContext(r.Context())
	if !ok {
		http.Error(w, "no session", http.StatusInternalServerError)
		return
	}
	_, _ = io.WriteString(w, s.Member.Email)
})

// bare writes a constant, as account does its email, without a session.
var bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, "member@example.com")
})

// httpBase is the base of a store's group, n sessions in s: NAME-lookup,
// NAME and NAME-paired.
func httpBase(b *testing.B, name string, s sessionstore.Store, tokens []string, close func()) *base {
	auth, err := sessionhttp.New(s, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := newServer(auth.Required(account), sessionhttp.DefaultSecureCookieName, tokens)
	handler := newServer(bare, sessionhttp.DefaultSecureCookieName, tokens).serve
	ctx := context.Background()
	lookup := func(i int) error {
		_, err := s.Lookup(ctx, tokens[i])
		return err
	}
	pt := &pairTimes{}
	n := len(tokens)
	return &base{
		n: n,
		ops: map[string]func(int) error{
			name + "-lookup": lookup,
			name:             srv.serve,
			"handler":        handler,
			// Another session for each part, so that the request does
			// not find the lookup's record in the CPU's caches.
			name + "-paired": func(i int) error {
				return pt.time(lookup, (i+n/3)%n, handler, (i+2*n/3)%n, srv.serve, i)
			},
		},
		paired: map[string]*pairTimes{name + "-paired": pt},
		close:  close,
	}
}

// pairTimes adds up the time of the three parts of the paired operations
// of one run, from any number of goroutines.
type pairTimes struct {
	lookup, handler, request, timer atomic.Int64 // nanoseconds
	n                               atomic.Int64
}

// time runs lookup(i), handler(j) and request(k), timing each, and times
// nothing between two readings of the clock: what reading it adds to each.
func (p *pairTimes) time(lookup func(int) error, i int, handler func(int) error, j int, request func(int) error, k int) error {
	t0 := time.Now()
	if err := lookup(i); err != nil {
		return err
	}
	t1 := time.Now()
	if err := handler(j); err != nil {
		return err
	}
	t2 := time.Now()
	if err := request(k); err != nil {
		return err
	}
	t3 := time.Now()
	t4 := time.Now()
	p.lookup.Add(int64(t1.Sub(t0)))
	p.handler.Add(int64(t2.Sub(t1)))
	p.request.Add(int64(t3.Sub(t2)))
	p.timer.Add(int64(t4.Sub(t3)))
	p.n.Add(1)
	return nil
}

// reset starts a run; a nil p is no paired operation.
func (p *pairTimes) reset() {
	if p != nil {
		p.lookup.Store(0)
		p.handler.Store(0)
		p.request.Store(0)
		p.timer.Store(0)
		p.n.Store(0)
	}
}

// report reports the parts' mean times, less the clock's, and the ratio of
// the request to the lookup and the handler together, in time spent by the
// goroutines that ran them (wall time per operation only from one
// goroutine).
func (p *pairTimes) report(b *testing.B) {
	if p == nil || p.n.Load() == 0 {
		return
	}
	n := float64(p.n.Load())
	o := float64(p.timer.Load()) / n
	l, h, r := float64(p.lookup.Load())/n-o, float64(p.handler.Load())/n-o, float64(p.request.Load())/n-o
	b.ReportMetric(o, "clock-ns/op")
	b.ReportMetric(r, "request-ns/op")
	b.ReportMetric(l, "lookup-ns/op")
	b.ReportMetric(h, "handler-ns/op")
	b.ReportMetric(r/(l+h), "request/(lookup+handler)")
}

func buildHTTPMemory(b *testing.B, n int) *base {
	s := newMemory(b)
	return httpBase(b, "memory", s, fillStore(b, s, n), func() { _ = s.Close() })
}

func buildHTTPBadger(b *testing.B, n int) *base {
	db, closeDB := openDB(b, rawOptions)
	s := newBadgerOn(b, db)
	return httpBase(b, "badger", s, fillStore(b, s, n), func() { _ = s.Close(); closeDB() })
}

func buildHTTPRedis(b *testing.B, n int) *base {
	r := newRedisStore(b)
	return httpBase(b, "redis", r.s, fillStore(b, r.s, n), r.close)
}

func buildHTTPPostgres(b *testing.B, n int) *base {
	s, closeFn := newPostgresStore(b)
	return httpBase(b, "postgres", s, fillStore(b, s, n), closeFn)
}

// buildHTTPScs fills an scs memstore with each session's JSON under the
// key "session", encoded by scs's own codec, under its sessionstore token.
func buildHTTPScs(b *testing.B, n int) *base {
	ms := memstore.NewWithCleanupInterval(0)
	sm := scs.New()
	sm.Store = ms
	tokens := make([]string, n)
	expiry := time.Now().Add(24 * time.Hour)
	var mu sync.Mutex
	sessions(b, n, func(j int, s *sessionstore.MemberSession) {
		data, err := sm.Codec.Encode(expiry, map[string]any{"session": appJSON(s)})
		if err != nil {
			b.Error(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		tokens[j] = s.Token
		_ = ms.Commit(s.Token, data, expiry)
	})
	raw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(sm.GetBytes(r.Context(), "session"))
	})
	decode := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s sessionstore.MemberSession
		if err := json.Unmarshal(sm.GetBytes(r.Context(), "session"), &s); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, s.Member.Email)
	})
	return &base{
		n: n,
		ops: map[string]func(int) error{
			"scs-memstore":        newServer(sm.LoadAndSave(raw), sm.Cookie.Name, tokens).serve,
			"scs-memstore-decode": newServer(sm.LoadAndSave(decode), sm.Cookie.Name, tokens).serve,
		},
		close: func() {},
	}
}
