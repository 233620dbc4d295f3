package sessionstore_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/token"
)

// waitGoroutines waits, without sleeping on a timer of its own, until at
// most n goroutines run, and reports whether that happened within a second.
func waitGoroutines(n int) bool {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if runtime.NumGoroutine() <= n {
			return true
		}
		runtime.Gosched()
	}
	return runtime.NumGoroutine() <= n
}

func TestCloseStopsSweeper(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 20 {
		s, err := memory.New(&sessionstore.Options{SweepInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	if !waitGoroutines(before) {
		t.Fatalf("goroutines: %d before, %d after closing every store", before, runtime.NumGoroutine())
	}
}

func TestNewEngineRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name  string
		opts  sessionstore.Options
		field string
	}{
		{"prefix with capitals", sessionstore.Options{TokenPrefix: "Mst_"}, "options.token_prefix"},
		{"prefix too long", sessionstore.Options{TokenPrefix: "abcdefghijklmnopq"}, "options.token_prefix"},
		{"negative TTL", sessionstore.Options{TTL: -time.Second}, "options.ttl"},
		{"TTL above MaxTTL", sessionstore.Options{TTL: 2 * time.Hour, MaxTTL: time.Hour}, "options.ttl"},
		{"negative MaxTTL", sessionstore.Options{MaxTTL: -1}, "options.max_ttl"},
		{"portal URL without host", sessionstore.Options{PortalURL: "/portal"}, "options.portal_url"},
		{"portal URL not http", sessionstore.Options{PortalURL: "ftp://example.com/portal"}, "options.portal_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := memory.New(&tt.opts)
			var ve *sessionstore.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || !errors.Is(err, sessionstore.ErrInvalid) {
				t.Fatalf("memory.New: %v, want a ValidationError for %s", err, tt.field)
			}
			if s != nil {
				t.Fatalf("memory.New returned a store with an error")
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	secret := []byte("secret")
	o, err := (&sessionstore.Options{Secret: secret}).WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.TokenPrefix != "mst_" || o.TTL != time.Hour || o.MaxTTL != 30*24*time.Hour ||
		o.SweepInterval != time.Minute || o.Now == nil {
		t.Fatalf("defaults: %+v", o)
	}
	secret[0] = 'X'
	if string(o.Secret) != "secret" {
		t.Fatalf("WithDefaults kept the caller's Secret slice")
	}
	var nilOpts *sessionstore.Options
	if _, err := nilOpts.WithDefaults(); err != nil {
		t.Fatalf("nil Options: %v", err)
	}
}

// failingBackend fails every call with errBackend.
type failingBackend struct{ closed int }

var errBackend = errors.New("backend down")

func (*failingBackend) Insert(context.Context, *sessionstore.Record) error { return errBackend }
func (*failingBackend) Find(context.Context, token.Hash) (*sessionstore.Record, error) {
	return nil, errBackend
}
func (*failingBackend) Select(context.Context, sessionstore.Selector) ([]*sessionstore.Record, error) {
	return nil, errBackend
}
func (*failingBackend) Edit(context.Context, sessionstore.Selector, sessionstore.EditFunc) ([]sessionstore.Change, error) {
	return nil, errBackend
}
func (*failingBackend) DeleteExpired(context.Context, time.Time, int) (int, error) {
	return 0, errBackend
}
func (b *failingBackend) Close() error { b.closed++; return errBackend }

// A backend failure reaches the caller wrapped as it is, never as
// ErrNotFound, and Close reports the backend's error once.
func TestBackendErrorsPassThrough(t *testing.T) {
	b := &failingBackend{}
	e, err := sessionstore.NewEngine(b, &sessionstore.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, _ := token.New("mst_")
	id := "3b2f4d9e-8c1a-4e57-9b6d-2a0c7e5f1d43"
	calls := map[string]error{}
	_, calls["Create"] = e.Create(ctx, exampleParams())
	_, calls["Lookup"] = e.Lookup(ctx, tok)
	_, calls["Get"] = e.Get(ctx, id)
	_, calls["ListByMember"] = e.ListByMember(ctx, "mem_1")
	_, calls["ListByCustomer"] = e.ListByCustomer(ctx, "cus_1")
	_, calls["Extend"] = e.Extend(ctx, id, 0)
	calls["Revoke"] = e.Revoke(ctx, id)
	_, calls["RevokeMember"] = e.RevokeMember(ctx, "mem_1")
	_, calls["RevokeCustomer"] = e.RevokeCustomer(ctx, "cus_1")
	_, calls["UpdateMember"] = e.UpdateMember(ctx, exampleParams().Member)
	_, calls["UpdateCustomer"] = e.UpdateCustomer(ctx, exampleParams().Customer)
	_, calls["DeleteExpired"] = e.DeleteExpired(ctx)
	for name, err := range calls {
		if !errors.Is(err, errBackend) {
			t.Errorf("%s: %v, want the backend's error", name, err)
		}
	}
	if err := e.Close(); !errors.Is(err, errBackend) {
		t.Errorf("Close: %v, want the backend's error", err)
	}
	if err := e.Close(); err != nil || b.closed != 1 {
		t.Errorf("second Close: %v, backend closed %d times", err, b.closed)
	}
}
