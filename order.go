package sessionstore

import (
	"slices"
	"strings"
)

// sortSessions orders sessions oldest first, ties by ID.
func sortSessions(s []*MemberSession) {
	slices.SortFunc(s, func(a, b *MemberSession) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
