package memory

import (
	"testing"

	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
)

func TestBackend(t *testing.T) {
	storetest.RunBackend(t, func(*testing.T) backend.Backend { return newStorage() })
}
