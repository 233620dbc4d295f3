package backend_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

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
	storetest.CheckGoroutines(t, before)
}

// failingBackend fails every call with errBackend.
type failingBackend struct{ closed int }

var errBackend = errors.New("backend down")

func (*failingBackend) Insert(context.Context, *backend.Record, *backend.Admission) error {
	return errBackend
}
func (*failingBackend) Rehash(context.Context, token.Hash, token.Hash, backend.Route) (*backend.Record, error) {
	return nil, errBackend
}
func (*failingBackend) Find(context.Context, token.Hash, backend.Route) (*backend.Record, error) {
	return nil, errBackend
}
func (*failingBackend) Select(context.Context, backend.Selector) ([]*backend.Record, error) {
	return nil, errBackend
}
func (*failingBackend) Edit(context.Context, backend.Selector, backend.EditFunc) ([]backend.Change, error) {
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
	e, err := backend.NewStore(&sessionstore.Options{SweepInterval: -1}, func(sessionstore.Options) (backend.Backend, error) {
		return b, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, _ := token.New("mst_")
	id := "3b2f4d9e-8c1a-4e57-9b6d-2a0c7e5f1d43"
	calls := map[string]error{}
	_, calls["Create"] = e.Create(ctx, params())
	_, calls["Lookup"] = e.Lookup(ctx, tok)
	_, calls["Get"] = e.Get(ctx, id)
	_, calls["ListByMember"] = e.ListByMember(ctx, "mem_1")
	_, calls["ListByCustomer"] = e.ListByCustomer(ctx, "cus_1")
	_, calls["Extend"] = e.Extend(ctx, id, 0)
	calls["Revoke"] = e.Revoke(ctx, id)
	_, calls["RevokeMember"] = e.RevokeMember(ctx, "mem_1")
	_, calls["RevokeCustomer"] = e.RevokeCustomer(ctx, "cus_1")
	_, calls["UpdateMember"] = e.UpdateMember(ctx, params().Member)
	_, calls["UpdateCustomer"] = e.UpdateCustomer(ctx, params().Customer)
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

// params returns valid CreateParams for the first fixture member.
func params() sessionstore.CreateParams {
	c := storetest.NewCustomer(1)
	return sessionstore.CreateParams{Member: storetest.NewMember(c.ID, 1), Customer: c}
}

// NewStore applies the options before it opens the backend: bad options
// open nothing, the backend sees the defaults, and open's error is returned.
func TestNewStoreOpensAfterOptions(t *testing.T) {
	opened := 0
	open := func(o sessionstore.Options) (backend.Backend, error) {
		opened++
		if o.TTL != sessionstore.DefaultTTL || o.Now == nil {
			t.Errorf("open got options without their defaults: %+v", o)
		}
		return nil, errBackend
	}
	if _, err := backend.NewStore(&sessionstore.Options{TTL: -1}, open); !errors.Is(err, sessionstore.ErrInvalid) || opened != 0 {
		t.Fatalf("bad options: %v, open called %d times", err, opened)
	}
	if _, err := backend.NewStore(nil, open); !errors.Is(err, errBackend) || opened != 1 {
		t.Fatalf("failing open: %v, open called %d times", err, opened)
	}
}

// A sweep that fails is reported to the observer as EventBackgroundFailed
// with the backend's error, and the sweeper keeps running until Close.
func TestSweeperFailureObserved(t *testing.T) {
	failed := make(chan sessionstore.Event, 8)
	obs := sessionstore.ObserverFunc(func(_ context.Context, e sessionstore.Event) {
		if e.Kind == sessionstore.EventBackgroundFailed {
			select {
			case failed <- e:
			default:
			}
		}
	})
	before := runtime.NumGoroutine()
	s, err := backend.NewStore(&sessionstore.Options{SweepInterval: time.Millisecond, Observer: obs}, func(sessionstore.Options) (backend.Backend, error) {
		return &failingBackend{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // two ticks: the sweeper goes on after a failure
		e := <-failed
		if !errors.Is(e.Err, errBackend) {
			t.Fatalf("background failure %+v, want the backend's error", e)
		}
	}
	if err := s.Close(); !errors.Is(err, errBackend) {
		t.Fatalf("Close: %v", err)
	}
	storetest.CheckGoroutines(t, before)
}
