// Real-time scoring with pgx v5, from a pool of connections.
//
// Reads one request per line on stdin, a JSON object of feature name ->
// value, scores them concurrently on a pool of 8 connections and prints
// the predictions in the order of the requests.  pgx prepares each
// statement once per connection and caches it (its default query mode);
// the server infers the parameters' types, text for both, and picks
// model_deploy.predict(text, text), which reads a JSON object or an array
// literal.
//
//	DATABASE_URL=postgres://app@localhost/shop go run . churn < requests.jsonl
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	ctx := context.Background()
	model := "churn"
	if len(os.Args) > 1 {
		model = os.Args[1]
	}
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		fail(err)
	}
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		fail(err)
	}
	defer pool.Close()

	var requests []string
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		if len(in.Bytes()) > 0 {
			requests = append(requests, in.Text())
		}
	}
	predictions := make([]float64, len(requests))
	errs := make(chan error, len(requests))
	var wg sync.WaitGroup
	for i, features := range requests {
		wg.Add(1)
		go func(i int, features string) {
			defer wg.Done()
			errs <- pool.QueryRow(ctx, "SELECT model_deploy.predict($1, $2)",
				model, features).Scan(&predictions[i])
		}(i, features)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			fail(err)
		}
	}
	for _, p := range predictions {
		fmt.Println(p)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
