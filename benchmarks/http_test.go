package benchmarks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
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
		{buildHTTPMemory, []string{"handler", "memory-lookup", "memory"}, []string{"handler", "memory-lookup", "memory"}, false},
		{buildHTTPScs, []string{"scs-memstore", "scs-memstore-decode"}, []string{"scs-memstore", "scs-memstore-decode"}, false},
		{buildHTTPBadger, []string{"badger-lookup", "badger"}, []string{"badger-lookup", "badger"}, false},
		{buildHTTPRedis, []string{"redis-lookup", "redis"}, []string{"redis-lookup", "redis"}, false},
		{buildHTTPPostgres, []string{"postgres-lookup", "postgres"}, []string{"postgres-lookup", "postgres"}, false},
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

// httpOps are the ops of a store's group: NAME-lookup and NAME.
func httpOps(b *testing.B, name string, s sessionstore.Store, tokens []string) map[string]func(int) error {
	auth, err := sessionhttp.New(s, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := newServer(auth.Required(account), sessionhttp.DefaultSecureCookieName, tokens)
	ctx := context.Background()
	return map[string]func(int) error{
		name + "-lookup": func(i int) error {
			_, err := s.Lookup(ctx, tokens[i])
			return err
		},
		name: srv.serve,
	}
}

func buildHTTPMemory(b *testing.B, n int) *base {
	s := newMemory(b)
	tokens := fillStore(b, s, n)
	ops := httpOps(b, "memory", s, tokens)
	ops["handler"] = newServer(bare, sessionhttp.DefaultSecureCookieName, tokens).serve
	return &base{n: n, ops: ops, close: func() { _ = s.Close() }}
}

func buildHTTPBadger(b *testing.B, n int) *base {
	db, closeDB := openDB(b, rawOptions)
	s := newBadgerOn(b, db)
	tokens := fillStore(b, s, n)
	return &base{n: n, ops: httpOps(b, "badger", s, tokens), close: func() { _ = s.Close(); closeDB() }}
}

func buildHTTPRedis(b *testing.B, n int) *base {
	r := newRedisStore(b)
	tokens := fillStore(b, r.s, n)
	return &base{n: n, ops: httpOps(b, "redis", r.s, tokens), close: r.close}
}

func buildHTTPPostgres(b *testing.B, n int) *base {
	s, closeFn := newPostgresStore(b)
	tokens := fillStore(b, s, n)
	return &base{n: n, ops: httpOps(b, "postgres", s, tokens), close: closeFn}
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
