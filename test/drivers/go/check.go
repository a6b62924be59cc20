// pgx v5's checks for the driver-go suite (see test/suites/drivers.py for
// the requests and the report lines).  Built as a second program of the
// pinned module docs/examples/go (the suite copies this file there).
// "binary": pgx's default mode, statements prepared and cached per
// connection, binary parameters and results where pgx knows the type;
// "text": the simple protocol, parameters interpolated as text.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

type request struct {
	ID       int                `json:"id"`
	Array    []*float64         `json:"array"`
	Object   map[string]float64 `json:"object"`
	Literal  string             `json:"literal"`
	Expected float64            `json:"expected"`
}

const poolSize = 8

var (
	ctx       = context.Background()
	requests  []request
	tolerance float64
)

func wrong(p float64, r request) bool {
	return !(math.Abs(p-r.Expected) <= tolerance)
}

// check scores every request with query(r) and reports the wrong answers.
func check(name string, query func(r request) (float64, error)) {
	var bad []string
	n := 0
	for _, r := range requests {
		p, err := query(r)
		if err != nil {
			fmt.Printf("# %s %d: %v\n", name, r.ID, err)
		} else {
			n++
		}
		if err != nil || wrong(p, r) {
			bad = append(bad, strconv.Itoa(r.ID))
		}
	}
	first := bad
	if len(first) > 5 {
		first = first[:5]
	}
	fmt.Printf("check %s %d %d %s\n", name, n, len(bad), strings.Join(first, " "))
}

func scan(row pgx.Row) (float64, error) {
	var p float64
	err := row.Scan(&p)
	return p, err
}

func sqlstate(name string, err error) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		fmt.Printf("sqlstate %s %s\n", name, pgErr.Code)
	} else {
		fmt.Printf("sqlstate %s none %v\n", name, err)
	}
}

func checks(pool *pgxpool.Pool) {
	for _, mode := range []struct {
		name string
		mode pgx.QueryExecMode
	}{{"binary", pgx.QueryExecModeCacheStatement}, {"text", pgx.QueryExecModeSimpleProtocol}} {
		m := mode.mode
		q := func(sql string, args func(r request) []any) func(r request) (float64, error) {
			return func(r request) (float64, error) {
				return scan(pool.QueryRow(ctx, sql, append([]any{m}, args(r)...)...))
			}
		}
		check("array_"+mode.name, q("SELECT model_deploy.predict($1, $2::float8[])",
			func(r request) []any { return []any{"cancer", r.Array} }))
		// a map is encoded as json for a parameter the server declares
		// jsonb; the simple protocol declares none, so it goes as JSON text
		check("map_"+mode.name, q("SELECT model_deploy.predict($1, $2::jsonb)",
			func(r request) []any {
				if m == pgx.QueryExecModeSimpleProtocol {
					j, _ := json.Marshal(r.Object)
					return []any{"cancer", string(j)}
				}
				return []any{"cancer", r.Object}
			}))
		check("untyped_json_"+mode.name, q("SELECT model_deploy.predict($1, $2)",
			func(r request) []any {
				j, _ := json.Marshal(r.Object)
				return []any{"cancer", string(j)}
			}))
		check("untyped_literal_"+mode.name, q("SELECT model_deploy.predict($1, $2)",
			func(r request) []any { return []any{"cancer", r.Literal} }))
		check("row_"+mode.name, q("SELECT model_deploy.predict('cancer', p) FROM patients p WHERE id = $1",
			func(r request) []any { return []any{r.ID} }))
	}
	_, err := scan(pool.QueryRow(ctx, "SELECT model_deploy.predict($1, $2::float8[])",
		"no_such_model", []float64{1}))
	sqlstate("unknown_model", err)
	_, err = scan(pool.QueryRow(ctx, "SELECT model_deploy.predict($1, $2::float8[])",
		"cancer", []float64{1, 2}))
	sqlstate("wrong_count", err)
	_, err = scan(pool.QueryRow(ctx, "SELECT model_deploy.predict($1, $2)", "cancer", "{1,2}"))
	sqlstate("wrong_count_untyped", err)
}

// concurrently scores from poolSize goroutines for the given time.
func concurrently(pool *pgxpool.Pool, seconds float64) {
	var mu sync.Mutex
	var latencies []float64
	bad := 0
	stop := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for k := 0; k < poolSize; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			var mine []float64
			wrongHere := 0
			for i := k; time.Now().Before(stop); i += poolSize {
				r := requests[i%len(requests)]
				t := time.Now()
				p, err := scan(pool.QueryRow(ctx, "SELECT model_deploy.predict($1, $2::float8[])",
					"cancer", r.Array))
				mine = append(mine, float64(time.Since(t).Nanoseconds())/1e6)
				if err != nil || wrong(p, r) {
					wrongHere++
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			bad += wrongHere
			mu.Unlock()
		}(k)
	}
	wg.Wait()
	sort.Float64s(latencies)
	n := len(latencies)
	p99 := int(float64(n) * 0.99)
	if p99 > n-1 {
		p99 = n - 1
	}
	fmt.Printf("check pool8 %d %d\n", n, bad)
	fmt.Printf("latency pool8 %d %.3f %.3f\n", n, latencies[n/2], latencies[p99])
}

func main() {
	f, err := os.Open(os.Getenv("MD_REQUESTS"))
	if err != nil {
		panic(err)
	}
	in := bufio.NewScanner(f)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			panic(err)
		}
		requests = append(requests, r)
	}
	tolerance, _ = strconv.ParseFloat(os.Getenv("MD_TOLERANCE"), 64)
	seconds, _ := strconv.ParseFloat(os.Getenv("MD_SECONDS"), 64)

	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	cfg.MaxConns = poolSize
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	checks(pool)
	concurrently(pool, seconds)
}
