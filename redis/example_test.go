package redis_test

import (
	"context"
	"fmt"
	"log"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/redis"
)

// A store on the application's own Redis client. The client outlives the
// store: close the store first.
func ExampleNew() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()

	s, err := redis.New(rdb, &redis.Options{
		Options:   sessionstore.Options{TTL: 24 * time.Hour, PortalURL: "https://polar.sh/acme/portal"},
		KeyPrefix: "portal:",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ms, err := s.Lookup(context.Background(), "mst_...")
	if err != nil {
		log.Print(err) // sessionstore.ErrMalformedToken here
		return
	}
	fmt.Println(ms.MemberID)
}
