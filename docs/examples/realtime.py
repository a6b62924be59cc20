#!/usr/bin/env python3
"""Real-time scoring from application code, with psycopg2.

Reads one request per line on stdin, a JSON object of feature name ->
value, and prints the model's prediction for each; a latency summary goes
to stderr.  The pattern: one long-lived connection per worker, the query
prepared once per connection, one round trip per request.  After the first
request the server scores from the model its backend already holds, with
no catalog lookups.

    PGHOST=/var/run/postgresql PGDATABASE=shop \\
        python3 realtime.py churn < requests.jsonl

Connection settings come from the usual libpq environment variables.
"""
import sys
import time

import psycopg2

model = sys.argv[1] if len(sys.argv) > 1 else "churn"

conn = psycopg2.connect("")
conn.autocommit = True  # one statement per request, nothing to commit
cur = conn.cursor()
# Parsed and planned once per connection.  The model name is a parameter
# too, so one statement serves every model.
cur.execute("PREPARE score(text, jsonb) AS SELECT model_deploy.predict($1, $2)")

latencies = []
for line in sys.stdin:
    if not line.strip():
        continue
    start = time.perf_counter()
    cur.execute("EXECUTE score(%s, %s)", (model, line))
    (prediction,) = cur.fetchone()
    latencies.append(time.perf_counter() - start)
    print(prediction)

if latencies:
    latencies.sort()
    print(f"{len(latencies)} requests: median {latencies[len(latencies) // 2] * 1e3:.3f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.3f} ms",
          file=sys.stderr)
conn.close()
