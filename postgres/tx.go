package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A transaction that fails with a serialization failure or a deadlock is
// retried, at most maxAttempts times in all, waiting a random time up to a
// growing bound (at most maxBackoff) between attempts.
const (
	maxAttempts = 10
	maxBackoff  = 50 * time.Millisecond
)

// opError wraps a failure of operation op with the package's prefix.
func opError(op string, err error) error {
	return fmt.Errorf("sessionstore/postgres: %s: %w", op, err)
}

// retryable reports a failure that a new attempt of the whole transaction
// may not meet: serialization_failure (40001) and deadlock_detected
// (40P01).
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// inTx runs fn in a READ COMMITTED transaction on pool and commits it,
// retrying the whole transaction (fn included) on a retryable failure. An
// error from fn rolls the transaction back and is returned as it is.
//
// The isolation level is set explicitly, whatever the database's default:
// the store's locking argument (see the package documentation) needs every
// statement to see what committed before it began.
func inTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := runTx(ctx, pool, fn)
		if !retryable(err) {
			return err
		}
		if attempt >= maxAttempts {
			return fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

func runTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return tx.Commit(ctx)
}

// backoff waits a random time below a bound that grows with attempt, or
// until ctx is done.
func backoff(ctx context.Context, attempt int) error {
	limit := min(time.Duration(attempt)*time.Millisecond, maxBackoff)
	t := time.NewTimer(rand.N(limit) + time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// migrateLock is the advisory lock key that serializes every Migrate of
// this package in a database.
var migrateLock = hashKey("sessionstore/postgres migrate")

// groupLock returns the advisory lock key of one member (kind "m") or
// customer (kind "c") of the table whose OID is oid. Keys are 64-bit
// hashes: two groups that share a key only wait for each other, which is
// never wrong.
func groupLock(oid uint32, kind, id string) int64 {
	return hashKey("sessionstore/postgres\x00" + strconv.FormatUint(uint64(oid), 10) + "\x00" + kind + "\x00" + id)
}

func hashKey(s string) int64 {
	sum := sha256.Sum256([]byte(s))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}
