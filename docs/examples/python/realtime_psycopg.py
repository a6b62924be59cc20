#!/usr/bin/env python3
"""Real-time scoring with psycopg 3.

Reads one request per line on stdin, a JSON object of feature name ->
value, and prints the model's prediction for each.  One long-lived
connection; prepare=True makes the statement a server-side prepared one,
so after the first request the server only binds and scores.  The JSON
text goes as it is: model_deploy.predict(text, text) reads a JSON object
or an array literal.

    PGHOST=/var/run/postgresql PGDATABASE=shop \\
        python3 realtime_psycopg.py churn < requests.jsonl
"""
import sys

import psycopg

model = sys.argv[1] if len(sys.argv) > 1 else "churn"

with psycopg.connect("", autocommit=True) as conn:
    for line in sys.stdin:
        if line.strip():
            (prediction,) = conn.execute(
                "SELECT model_deploy.predict(%s, %s)", (model, line),
                prepare=True).fetchone()
            print(prediction)
