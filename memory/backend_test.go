package memory

import (
	"context"
	"testing"
	"time"

	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
)

func TestBackend(t *testing.T) {
	storetest.RunBackend(t, func(*testing.T) backend.Backend { return newStorage() })
}

// TestFindDuringEdit finds a record while Edits replace it: run with
// -race, a Find that reads the entry outside the lock is a data race.
func TestFindDuringEdit(t *testing.T) {
	b := newStorage()
	ctx := context.Background()
	rec := storetest.NewRecord(1, 1, 1, storetest.StartTime().Add(time.Hour))
	if err := b.Insert(ctx, rec, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			_, err := b.Edit(ctx, backend.Selector{Index: backend.IndexID, Key: rec.ID}, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
				next := *cur
				next.ModifiedAt = storetest.StartTime().Add(time.Duration(i) * time.Second)
				return backend.Put, &next, nil
			})
			if err != nil {
				t.Errorf("Edit: %v", err)
				return
			}
		}
	}()
	for range 200 {
		got, err := b.Find(ctx, rec.TokenHash, backend.RouteOf(rec.CustomerID()))
		if err != nil || got.ID != rec.ID {
			t.Fatalf("Find: %v", err)
		}
	}
	<-done
}
