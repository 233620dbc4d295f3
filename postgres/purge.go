package postgres

import (
	"context"
	"time"

	"github.com/memberkit/sessionstore"
)

// DeleteExpired implements backend.Backend: one DELETE of at most limit
// expired rows that no other transaction holds (FOR UPDATE SKIP LOCKED).
func (b *storage) DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if b.closed.Load() {
		return 0, sessionstore.ErrClosed
	}
	if limit <= 0 {
		return 0, nil
	}
	tag, err := b.pool.Exec(ctx, b.q.purge, cutoff, limit)
	if err != nil {
		return 0, opError("delete expired", err)
	}
	return int(tag.RowsAffected()), nil
}
