package redis

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// readBatch bounds how many commands one pipelined read sends.
const readBatch = 512

// Find implements backend.Backend: one HGET, in the place of the token's
// route. While the single-tag layout still holds sessions (see
// placement.go) it reads there too, in the same round trip.
func (b *storage) Find(ctx context.Context, h token.Hash, route backend.Route) (*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	hx := h.String()
	if !b.routed() {
		return found(b.c.HGet(ctx, b.k.record(hx), fieldData), hx)
	}
	places, err := b.routePlaces(ctx, route)
	if err != nil {
		return nil, opError("find", err)
	}
	switch len(places) {
	case 0:
		return nil, sessionstore.ErrNotFound
	case 1:
		return found(b.c.HGet(ctx, places[0].record(hx), fieldData), hx)
	}
	cmds := make([]*goredis.StringCmd, len(places))
	_, _ = b.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range places {
			cmds[i] = p.HGet(ctx, k.record(hx), fieldData)
		}
		return nil
	})
	for _, cmd := range cmds {
		if r, err := found(cmd, hx); !errors.Is(err, sessionstore.ErrNotFound) {
			return r, err
		}
	}
	return nil, sessionstore.ErrNotFound
}

// found returns the record that cmd, an HGET of the data of the record
// stored under hx, read.
func found(cmd *goredis.StringCmd, hx string) (*backend.Record, error) {
	data, err := cmd.Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, sessionstore.ErrNotFound
	case isWrongType(err):
		return nil, corrupt("find", err)
	case err != nil:
		return nil, opError("find", err)
	}
	r, err := decode(data, hx)
	if err != nil {
		return nil, corrupt("find", err)
	}
	return r, nil
}

// Select implements backend.Backend. By ID it reads the ID key and the
// record in the place of the ID's route (see selectID); by member or
// customer it reads the set, then its records in pipelined batches, in
// each place of the member or customer. Entries whose record is gone are
// skipped; a record that cannot be decoded is returned as its stub (see
// stubs).
func (b *storage) Select(ctx context.Context, sel backend.Selector) ([]*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	var (
		places []keys
		err    error
	)
	switch sel.Index {
	case backend.IndexID:
		return b.selectID(ctx, sel)
	case backend.IndexMember:
		places, err = b.memberPlaces(ctx, sel.Key)
	case backend.IndexCustomer:
		places, err = b.customerPlaces(ctx, sel.Key)
	default:
		return nil, opError("select", fmt.Errorf("unknown index %d", sel.Index))
	}
	if errors.Is(err, sessionstore.ErrCorrupt) {
		return nil, err
	}
	if err != nil {
		return nil, opError("select", err)
	}
	out := []*backend.Record{}
	for _, k := range places {
		if out, err = b.selectSet(ctx, k, sel, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// selectSet appends to out the records of the member's or customer's set
// of sel in the place k.
func (b *storage) selectSet(ctx context.Context, k keys, sel backend.Selector, out []*backend.Record) ([]*backend.Record, error) {
	set := k.member(sel.Key)
	if sel.Index == backend.IndexCustomer {
		set = k.customer(sel.Key)
	}
	hexes, err := b.c.SMembers(ctx, set).Result()
	if isWrongType(err) {
		return nil, corrupt("select", err)
	}
	if err != nil {
		return nil, opError("select", err)
	}
	for len(hexes) > 0 {
		n := min(len(hexes), readBatch)
		datas, err := b.readRecords(ctx, b.c, k, hexes[:n])
		if err != nil {
			return nil, opError("select", err)
		}
		if out, err = b.collect(ctx, k, sel, hexes[:n], datas, out); err != nil {
			return nil, err
		}
		hexes = hexes[n:]
	}
	return out, nil
}

// selectID is Select by ID. In the single-tag layout on a standalone
// server, selectIDScript reads the ID key and the record it names in one
// round trip. In the routed layout it takes two, a GET of the ID key (in
// every place the ID may be in, in one pipeline) and an HGET of the record
// it names: a script must declare every key it touches, and the record's
// key is not known before the ID key is read.
func (b *storage) selectID(ctx context.Context, sel backend.Selector) ([]*backend.Record, error) {
	if !b.routed() {
		return b.selectIDScript(ctx, sel)
	}
	places, err := b.routePlaces(ctx, backend.IDRoute(sel.Key))
	if err != nil {
		return nil, opError("select", err)
	}
	gets := make([]*goredis.StringCmd, len(places))
	if len(places) > 0 {
		_, _ = b.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, k := range places {
				gets[i] = p.Get(ctx, k.id(sel.Key))
			}
			return nil
		})
	}
	for i, get := range gets {
		h, err := get.Result()
		switch {
		case errors.Is(err, goredis.Nil):
			continue
		case isWrongType(err):
			return nil, corrupt("select", err)
		case err != nil:
			return nil, opError("select", err)
		}
		datas, err := b.readRecords(ctx, b.c, places[i], []string{h})
		if err != nil {
			return nil, opError("select", err)
		}
		return b.collect(ctx, places[i], sel, []string{h}, datas, make([]*backend.Record, 0, 1))
	}
	return []*backend.Record{}, nil
}

// selectIDScript is selectID with selectIDScript, in the single-tag layout
// on a standalone server.
func (b *storage) selectIDScript(ctx context.Context, sel backend.Selector) ([]*backend.Record, error) {
	v, err := selectIDScript.Run(ctx, b.c, []string{b.k.id(sel.Key)}, b.k.record(""), fieldData).Slice()
	if err != nil {
		return nil, opError("select", err)
	}
	kind, _ := v[0].(int64)
	str := func(i int) string {
		if i >= len(v) {
			return ""
		}
		s, _ := v[i].(string)
		return s
	}
	var d stored
	switch kind {
	case 0:
		return nil, corrupt("select", errors.New(str(1)))
	case 1:
		return []*backend.Record{}, nil
	case 2:
		d.missing = true
	case 3:
		d.err = errors.New(str(2))
	case 4:
		d.data = []byte(str(2))
	default:
		return nil, opError("select", fmt.Errorf("unexpected reply %v", v))
	}
	return b.collect(ctx, b.k, sel, []string{str(1)}, []stored{d}, make([]*backend.Record, 0, 1))
}

// collect appends to out the records of hexes read as datas, skipping
// missing ones, with stubs for those that cannot be decoded.
func (b *storage) collect(ctx context.Context, k keys, sel backend.Selector, hexes []string, datas []stored, out []*backend.Record) ([]*backend.Record, error) {
	var bad []string
	var errs []error
	for i, d := range datas {
		if d.missing {
			continue
		}
		r, err := d.decode(hexes[i])
		if err != nil {
			bad, errs = append(bad, hexes[i]), append(errs, err)
			continue
		}
		if sel.Index == backend.IndexID && r.ID != sel.Key {
			return nil, corrupt("select", errors.New("ID key points at another session"))
		}
		out = append(out, r)
	}
	stubs, err := b.stubs(ctx, b.c, k, sel, bad, errs)
	if err != nil {
		return nil, opError("select", err)
	}
	return append(out, stubs...), nil
}

// stubs returns the backend.CorruptRecord stubs of the records of hexes,
// which could not be decoded for errs, as selected by sel. Their keys come
// from the plain fields of the record hash (see keys.go), which need no
// decoding, and from sel where a field is unreadable too (a key of the
// wrong type has none).
func (b *storage) stubs(ctx context.Context, c goredis.Cmdable, k keys, sel backend.Selector, hexes []string, errs []error) ([]*backend.Record, error) {
	if len(hexes) == 0 {
		return nil, nil
	}
	cmds := make([]*goredis.SliceCmd, len(hexes))
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, h := range hexes {
			cmds[i] = p.HMGet(ctx, k.record(h), fieldID, fieldMember, fieldCustomer)
		}
		return nil
	})
	if err != nil && !isWrongType(err) {
		return nil, err
	}
	out := make([]*backend.Record, len(hexes))
	for i, h := range hexes {
		var f [3]string // ID, member, customer
		if v, err := cmds[i].Result(); err == nil && len(v) == len(f) {
			for j := range f {
				f[j], _ = v[j].(string)
			}
		}
		switch sel.Index {
		case backend.IndexID:
			f[0] = sel.Key
		case backend.IndexMember:
			f[1] = sel.Key
		case backend.IndexCustomer:
			f[2] = sel.Key
		}
		var th token.Hash
		if raw, err := hex.DecodeString(h); err == nil && len(raw) == len(th) {
			copy(th[:], raw)
		}
		out[i] = backend.CorruptRecord(th, f[0], f[1], f[2], fmt.Errorf("%w: %w", sessionstore.ErrCorrupt, errs[i]))
	}
	return out, nil
}

// stored is one record's data as read: missing when the key is gone, err
// when it holds something other than a record hash.
type stored struct {
	data    []byte
	missing bool
	err     error
}

func (s stored) decode(hexHash string) (*backend.Record, error) {
	if s.err != nil {
		return nil, fmt.Errorf("%w: %w", sessionstore.ErrCorrupt, s.err)
	}
	return decode(s.data, hexHash)
}

// readRecords reads the data of the records of hexes in the place k in
// one pipeline on c
// (the client, or a transaction's connection), which starts with a WATCH of
// the keys watch when there are any (c must then be a transaction's). A
// server error other than WRONGTYPE fails the whole read.
func (b *storage) readRecords(ctx context.Context, c goredis.Cmdable, k keys, hexes []string, watch ...string) ([]stored, error) {
	cmds := make([]*goredis.StringCmd, len(hexes))
	var watched *goredis.Cmd
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		if len(watch) > 0 {
			args := make([]any, 0, 1+len(watch))
			args = append(args, "watch")
			for _, k := range watch {
				args = append(args, k)
			}
			watched = p.Do(ctx, args...)
		}
		for i, h := range hexes {
			cmds[i] = p.HGet(ctx, k.record(h), fieldData)
		}
		return nil
	})
	if watched != nil && watched.Err() != nil {
		return nil, watched.Err()
	}
	if err != nil && !errors.Is(err, goredis.Nil) && !isWrongType(err) {
		return nil, err
	}
	out := make([]stored, len(hexes))
	for i, cmd := range cmds {
		data, err := cmd.Bytes()
		switch {
		case errors.Is(err, goredis.Nil):
			out[i].missing = true
		case isWrongType(err):
			out[i].err = err
		case err != nil:
			return nil, err
		default:
			out[i].data = data
		}
	}
	return out, nil
}
