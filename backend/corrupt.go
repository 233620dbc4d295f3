package backend

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/memberkit/sessionstore"
)

// The engine's rules for records a backend cannot decode (CorruptRecord
// stubs). Such a record never authenticates, and one of them never stops
// an operation on the others:
//
//   - Lookup, Get and Extend of it are ErrCorrupt.
//   - ListByMember and ListByCustomer leave it out and report it.
//   - Revoke, RevokeMember, RevokeCustomer, UpdateMember and UpdateCustomer
//     delete it by key, with the sound records they act on, and report it,
//     so that "sign out everywhere" can never fail open on a damaged
//     record. The counts they return are of sound sessions only.

// corruptErr returns the error of stub r, wrapping ErrCorrupt.
func corruptErr(r *Record) error {
	return fmt.Errorf("%w: session %q: %w", sessionstore.ErrCorrupt, r.ID, r.Corrupt)
}

// reportCorrupt logs that the operation on the records of field (member_id
// or customer_id) skipped or removed the corrupt record r. It never logs a
// token or its hash.
func (e *engine) reportCorrupt(ctx context.Context, field, what string, r *Record) {
	e.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "sessionstore: "+what+" a corrupt session record",
		slog.String("session_id", r.ID),
		slog.String("member_id", r.Member.ID),
		slog.String("customer_id", r.Customer.ID),
		slog.String("selected_by", field),
		slog.String("error", r.Corrupt.Error()))
}
