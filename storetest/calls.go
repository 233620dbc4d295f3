package storetest

import (
	"context"

	"github.com/memberkit/sessionstore"
)

// Calls returns one call of every Store method on s, by method name, each
// returning only its error: for fault tests that check every method fails
// cleanly while storage is down (and works again after). The calls create
// with p, and look up, extend and revoke the session existing; the group
// calls use p's member and customer.
func Calls(s sessionstore.Store, p sessionstore.CreateParams, existing *sessionstore.MemberSession) map[string]func(ctx context.Context) error {
	return map[string]func(ctx context.Context) error{
		"Create": func(ctx context.Context) error { _, err := s.Create(ctx, p); return err },
		"Lookup": func(ctx context.Context) error { _, err := s.Lookup(ctx, existing.Token); return err },
		"Get":    func(ctx context.Context) error { _, err := s.Get(ctx, existing.ID); return err },
		"ListByMember": func(ctx context.Context) error {
			_, err := s.ListByMember(ctx, p.Member.ID)
			return err
		},
		"ListByCustomer": func(ctx context.Context) error {
			_, err := s.ListByCustomer(ctx, p.Customer.ID)
			return err
		},
		"Extend": func(ctx context.Context) error { _, err := s.Extend(ctx, existing.ID, 0); return err },
		"Revoke": func(ctx context.Context) error { return s.Revoke(ctx, existing.ID) },
		"RevokeMember": func(ctx context.Context) error {
			_, err := s.RevokeMember(ctx, p.Member.ID)
			return err
		},
		"RevokeCustomer": func(ctx context.Context) error {
			_, err := s.RevokeCustomer(ctx, p.Customer.ID)
			return err
		},
		"UpdateMember": func(ctx context.Context) error {
			_, err := s.UpdateMember(ctx, p.Member)
			return err
		},
		"UpdateCustomer": func(ctx context.Context) error {
			_, err := s.UpdateCustomer(ctx, p.Customer)
			return err
		},
		"DeleteExpired": func(ctx context.Context) error { _, err := s.DeleteExpired(ctx); return err },
	}
}
