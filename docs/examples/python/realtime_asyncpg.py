#!/usr/bin/env python3
"""Real-time scoring with asyncpg, from a pool of connections.

Reads one request per line on stdin, a JSON object of feature name ->
value, scores them all concurrently on a pool of 8 connections and prints
the predictions in the order of the requests.  asyncpg prepares each
statement once per connection and caches it; the parameters' types are
left to the server, which picks model_deploy.predict(text, text).

    DATABASE_URL=postgresql://app@localhost/shop \\
        python3 realtime_asyncpg.py churn < requests.jsonl
"""
import asyncio
import os
import sys

import asyncpg


async def main(model):
    requests = [line for line in sys.stdin if line.strip()]
    async with asyncpg.create_pool(os.environ.get("DATABASE_URL"),
                                   min_size=8, max_size=8) as pool:
        async def score(features):
            return await pool.fetchval("SELECT model_deploy.predict($1, $2)",
                                       model, features)
        for prediction in await asyncio.gather(*map(score, requests)):
            print(prediction)


asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "churn"))
