package postgres

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// storage implements backend.Backend on a pgx pool. It keeps no state
// between calls besides its closed flag: every call is one statement or one
// transaction on whichever connection the pool hands out.
type storage struct {
	pool   *pgxpool.Pool
	t      table
	oid    uint32 // the table's OID, the namespace of its advisory locks
	q      queries
	closed atomic.Bool
}

var (
	_ backend.Backend        = (*storage)(nil)
	_ backend.PrivateRecords = (*storage)(nil)
)

// PrivateRecords implements backend.PrivateRecords: every record is
// decoded anew from the row.
func (*storage) PrivateRecords() {}

// corrupt wraps a record that cannot be decoded so that it matches both
// sessionstore.ErrCorrupt and the cause.
func corrupt(op string, err error) error {
	if errors.Is(err, sessionstore.ErrCorrupt) {
		return opError(op, err)
	}
	return opError(op, fmt.Errorf("%w: %w", sessionstore.ErrCorrupt, err))
}

// decodeRow decodes a row's record and checks it against the row's key
// columns: a record stored under another token hash, ID, member or
// customer than its own is ErrCorrupt, so that a row edited by hand never
// authenticates as the session of its record.
func decodeRow(hash []byte, id, member, customer string, data []byte) (*backend.Record, error) {
	r, err := backend.DecodeRecord(data)
	if err != nil {
		return nil, err
	}
	switch {
	case !bytes.Equal(r.TokenHash[:], hash):
		return nil, fmt.Errorf("%w: record stored under another token hash", sessionstore.ErrCorrupt)
	case r.ID != id:
		return nil, fmt.Errorf("%w: the record of row %s is session %s", sessionstore.ErrCorrupt, id, r.ID)
	case r.MemberID() != member:
		return nil, fmt.Errorf("%w: the record of row %s is of another member than its member_id column", sessionstore.ErrCorrupt, id)
	case r.CustomerID() != customer:
		return nil, fmt.Errorf("%w: the record of row %s is of another customer than its customer_id column", sessionstore.ErrCorrupt, id)
	}
	return r, nil
}

// Close implements backend.Backend. The pool stays open: it is the
// caller's.
func (b *storage) Close() error {
	b.closed.Store(true)
	return nil
}
