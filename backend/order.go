package backend

import (
	"slices"
	"strings"

	"github.com/memberkit/sessionstore"
)

// sortSessions orders sessions oldest first, ties by ID.
func sortSessions(s []*sessionstore.MemberSession) {
	slices.SortFunc(s, func(a, b *sessionstore.MemberSession) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
