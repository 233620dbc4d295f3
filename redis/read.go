package redis

import (
	"context"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// readBatch bounds how many commands one pipelined read sends.
const readBatch = 512

// Find implements backend.Backend: one HGET.
func (b *storage) Find(ctx context.Context, h token.Hash) (*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	hx := h.String()
	data, err := b.c.HGet(ctx, b.k.record(hx), fieldData).Bytes()
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

// Select implements backend.Backend. By ID it reads the ID key, then
// the record; by member or customer it reads the set, then its records in
// pipelined batches. Entries whose record is gone are skipped, and so are
// records of a member or customer that cannot be decoded (they cannot
// authenticate either); a corrupt record selected by ID is ErrCorrupt.
func (b *storage) Select(ctx context.Context, sel backend.Selector) ([]*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	var (
		hexes []string
		err   error
	)
	switch sel.Index {
	case backend.IndexID:
		var h string
		h, err = b.c.Get(ctx, b.k.id(sel.Key)).Result()
		if errors.Is(err, goredis.Nil) {
			return []*backend.Record{}, nil
		}
		hexes = []string{h}
	case backend.IndexMember:
		hexes, err = b.c.SMembers(ctx, b.k.member(sel.Key)).Result()
	case backend.IndexCustomer:
		hexes, err = b.c.SMembers(ctx, b.k.customer(sel.Key)).Result()
	default:
		return nil, opError("select", fmt.Errorf("unknown index %d", sel.Index))
	}
	if isWrongType(err) {
		return nil, corrupt("select", err)
	}
	if err != nil {
		return nil, opError("select", err)
	}
	out := make([]*backend.Record, 0, len(hexes))
	for len(hexes) > 0 {
		n := min(len(hexes), readBatch)
		datas, err := b.readRecords(ctx, b.c, hexes[:n])
		if err != nil {
			return nil, opError("select", err)
		}
		for i, d := range datas {
			if d.missing {
				continue
			}
			r, err := d.decode(hexes[i])
			if err != nil {
				if sel.Index == backend.IndexID {
					return nil, corrupt("select", err)
				}
				continue
			}
			if sel.Index == backend.IndexID && r.ID != sel.Key {
				return nil, corrupt("select", errors.New("ID key points at another session"))
			}
			out = append(out, r)
		}
		hexes = hexes[n:]
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

// readRecords reads the data of the records of hexes in one pipeline on c
// (the client, or a transaction's connection). A server error other than
// WRONGTYPE fails the whole read.
func (b *storage) readRecords(ctx context.Context, c goredis.Cmdable, hexes []string) ([]stored, error) {
	cmds := make([]*goredis.StringCmd, len(hexes))
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, h := range hexes {
			cmds[i] = p.HGet(ctx, b.k.record(h), fieldData)
		}
		return nil
	})
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
