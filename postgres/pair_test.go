package postgres

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

// pair is one sessionstore.Store made of two, as two application
// instances on one database are: every call goes to a or b in turn, so
// that concurrent calls from the suites race across two pools.
type pair struct {
	a, b *Store
	n    atomic.Uint64
}

var _ sessionstore.Store = (*pair)(nil)

func (p *pair) next() sessionstore.Store {
	if p.n.Add(1)%2 == 0 {
		return p.a
	}
	return p.b
}

func (p *pair) Create(ctx context.Context, cp sessionstore.CreateParams) (*sessionstore.MemberSession, error) {
	return p.next().Create(ctx, cp)
}

func (p *pair) Lookup(ctx context.Context, tok string) (*sessionstore.MemberSession, error) {
	return p.next().Lookup(ctx, tok)
}

func (p *pair) Get(ctx context.Context, id string) (*sessionstore.MemberSession, error) {
	return p.next().Get(ctx, id)
}

func (p *pair) ListByMember(ctx context.Context, id string) ([]*sessionstore.MemberSession, error) {
	return p.next().ListByMember(ctx, id)
}

func (p *pair) ListByCustomer(ctx context.Context, id string) ([]*sessionstore.MemberSession, error) {
	return p.next().ListByCustomer(ctx, id)
}

func (p *pair) Extend(ctx context.Context, id string, ttl time.Duration) (*sessionstore.MemberSession, error) {
	return p.next().Extend(ctx, id, ttl)
}

func (p *pair) Revoke(ctx context.Context, id string) error { return p.next().Revoke(ctx, id) }

func (p *pair) Exchange(ctx context.Context, tok string, x sessionstore.ExchangeParams) (*sessionstore.MemberSession, error) {
	return p.next().Exchange(ctx, tok, x)
}

func (p *pair) RevokeOwn(ctx context.Context, member, id string) error {
	return p.next().RevokeOwn(ctx, member, id)
}

func (p *pair) RevokeOthers(ctx context.Context, member, keep string) (int, error) {
	return p.next().RevokeOthers(ctx, member, keep)
}

func (p *pair) RevokeMember(ctx context.Context, id string) (int, error) {
	return p.next().RevokeMember(ctx, id)
}

func (p *pair) RevokeCustomer(ctx context.Context, id string) (int, error) {
	return p.next().RevokeCustomer(ctx, id)
}

func (p *pair) UpdateMember(ctx context.Context, m sessionstore.Member) (int, error) {
	return p.next().UpdateMember(ctx, m)
}

func (p *pair) UpdateCustomer(ctx context.Context, c sessionstore.Customer) (int, error) {
	return p.next().UpdateCustomer(ctx, c)
}

func (p *pair) DeleteExpired(ctx context.Context) (int, error) {
	return p.next().DeleteExpired(ctx)
}

// CorruptSession implements storetest.Corrupter: both stores share the
// table.
func (p *pair) CorruptSession(t testing.TB, id string) {
	t.Helper()
	corruptSession(t, p.a, id)
}

func (p *pair) Close() error {
	errA, errB := p.a.Close(), p.b.Close()
	if errA != nil {
		return errA
	}
	return errB
}
