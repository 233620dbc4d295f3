// Package backend is the kit for writing a sessionstore storage backend:
// implement Backend, and NewStore turns it into a sessionstore.Store.
//
// A store is two layers. The engine in this package holds every rule of the
// library: validation, tokens and their hashes, what counts as live, the
// portal URL, copying at the boundary, the closed state and the background
// sweeper. A Backend below it only stores Records and finds them by token
// hash, ID, member, customer or expiry time. The memory, badger, redis and
// postgres packages are backends; each is a few hundred lines of storage
// code and a constructor:
//
//	func New(opts *sessionstore.Options) (*Store, error) {
//		s, err := backend.NewStore(opts, func(o sessionstore.Options) (backend.Backend, error) {
//			return newStorage(o), nil // o has every default applied
//		})
//		if err != nil {
//			return nil, err
//		}
//		return &Store{Store: s}, nil
//	}
//
// # What a backend promises
//
//   - Insert stores a record and its index entries atomically: a concurrent
//     Find, Select or Edit sees all of it or none of it. Its Admission
//     (the cap on sessions, and an exchange's check of its link) sees the
//     member's records as they are when the Insert commits, may refuse
//     with nothing written, and with a Limit of 0 runs on every Insert.
//   - Rehash moves a record to a new token hash as it is when the move
//     commits, never a copy read earlier, so it undoes no concurrent
//     write.
//   - Edit is atomic over its selection and ordered against a concurrent
//     Insert into the same member or customer: the insert is either seen by
//     the EditFunc or committed after the edit. This is what makes "sign out
//     everywhere" (RevokeMember) never miss a session created just before.
//     Edit calls Decide instead of calling its EditFunc directly, so a Put
//     that would change a record's ID, token hash, member or customer is
//     refused the same way on every backend (ErrEditContract).
//   - An error from the EditFunc aborts the edit with nothing written and is
//     returned as it is; selecting an ID that is not stored is
//     sessionstore.ErrNotFound.
//   - DeleteExpired removes at most limit records expiring at or before the
//     cutoff and holds no lock over the whole store while it does, so
//     lookups go on during a purge.
//   - Stored bytes that cannot be decoded are never a wrong record: Find
//     fails with an error wrapping sessionstore.ErrCorrupt, and Select and
//     Edit hand out a CorruptRecord stub that holds only the record's keys,
//     so that one damaged record never stops a list or a revocation. The
//     engine decides what happens to it (see corrupt.go): Lookup and Get
//     are ErrCorrupt, lists skip it, and revocations and updates delete it,
//     which the backend does by key. After Close every method returns
//     sessionstore.ErrClosed; any other storage failure is wrapped, never
//     reported as ErrNotFound.
//   - Records handed to the backend are not modified after it has them, and
//     records it returns are not modified by the engine. A backend that
//     decodes a fresh record for every call says so by implementing
//     PrivateRecords, and the engine then skips a copy.
//   - DeleteExpired removes one batch per call, and the engine lets waiting
//     goroutines run between calls: a batch is as long as a lookup may
//     wait behind a purge. A backend sets its batch size by implementing
//     PurgeBatcher.
//
// A backend that spreads records over shards can place each record by its
// Route, RouteOf its customer ID: the engine writes that route into every
// token and session ID it makes, and passes a token's route to Find and
// Rehash (IDRoute reads an ID's), so such a backend finds a record without
// a lookup. Other backends ignore routes.
//
// A backend that keeps bytes rather than Go values can use the shared
// binary encoding, Record.MarshalBinary and Record.UnmarshalBinary: it is
// versioned, compact, sealed with a CRC-32C checksum, and rejects every
// input it did not produce.
//
// # What proves it
//
// Package storetest holds the tests every backend runs from its own test
// files: RunBackend checks the promises above on the Backend directly; Run
// (the conformance suite), RunProperties (a rapid state machine against a
// model) and RunStress (revocations racing creates) check the Store that
// NewStore builds on it; Bench measures it.
package backend
