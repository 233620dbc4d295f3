package memory_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/memberkit/sessionstore/memory"
)

// A readiness probe reports whether the store can serve.
func ExampleStore_Ping() {
	s, err := memory.New(nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	ready := func(w http.ResponseWriter, r *http.Request) {
		if err := s.Ping(r.Context()); err != nil {
			http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	_ = ready
	fmt.Println(s.Ping(context.Background()))
	// Output: <nil>
}
