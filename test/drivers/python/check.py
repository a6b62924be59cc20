#!/usr/bin/env python3
"""The Python drivers' checks for the driver-python suite (see
test/suites/drivers.py for the requests and the report lines):

    check.py psycopg   psycopg 3, sync and async, text and binary
    check.py asyncpg   asyncpg (binary protocol only: it has no text mode)

Connection settings come from the libpq environment variables.
"""
import asyncio
import json
import os
import sys
import threading
import time

REQUESTS = [json.loads(line) for line in open(os.environ["MD_REQUESTS"])]
TOLERANCE = float(os.environ["MD_TOLERANCE"])
SECONDS = float(os.environ["MD_SECONDS"])
POOL = 8
DSN = ""  # libpq's environment variables
ASYNCPG_DSN = "postgresql://%s@%s:%s/%s" % (
    os.environ["PGUSER"], os.environ["PGHOST"], os.environ["PGPORT"],
    os.environ["PGDATABASE"])


def wrong(answer, request):
    return answer is None or abs(answer - request["expected"]) > TOLERANCE


def report_check(name, answers):
    bad = [r["id"] for a, r in zip(answers, REQUESTS) if wrong(a, r)]
    bad += ["missing"] * (len(REQUESTS) - len(answers))
    print("check %s %d %d %s" % (name, len(answers), len(bad),
                                 " ".join(map(str, bad[:5]))), flush=True)


def report_latency(name, latencies, bad):
    latencies.sort()
    n = len(latencies)
    print("check %s %d %d" % (name, n, bad))
    print("latency %s %d %.3f %.3f" % (name, n, latencies[n // 2] * 1e3,
                                       latencies[min(n - 1, int(n * 0.99))] * 1e3),
          flush=True)


# ---- psycopg 3 ------------------------------------------------------------

def psycopg_checks():
    import psycopg
    from psycopg.types.json import Jsonb

    with psycopg.connect(DSN, autocommit=True) as conn:
        for binary in (False, True):
            proto = "binary" if binary else "text"
            fmt = "%b" if binary else "%t"
            cur = conn.cursor(binary=binary)

            def each(sql, arg):
                # prepare=True: a server-side prepared statement from the
                # first execution on, as a service does
                return [cur.execute(sql, arg(r), prepare=True).fetchone()[0]
                        for r in REQUESTS]

            report_check("sync_%s_array" % proto, each(
                "SELECT model_deploy.predict('cancer', %s)" % fmt,
                lambda r: (r["array"],)))
            report_check("sync_%s_jsonb" % proto, each(
                "SELECT model_deploy.predict('cancer', %s)" % fmt,
                lambda r: (Jsonb(r["object"]),)))
            report_check("sync_%s_untyped_json" % proto, each(
                "SELECT model_deploy.predict(%s, %s)" % (fmt, fmt),
                lambda r: ("cancer", json.dumps(r["object"]))))
            report_check("sync_%s_untyped_literal" % proto, each(
                "SELECT model_deploy.predict(%s, %s)" % (fmt, fmt),
                lambda r: ("cancer", r["literal"])))
            report_check("sync_%s_row" % proto, each(
                "SELECT model_deploy.predict('cancer', p) FROM patients p "
                "WHERE id = %s" % fmt, lambda r: (r["id"],)))
        for name, args in (("unknown_model", ("no_such_model", [1.0])),
                           ("wrong_count", ("cancer", [1.0, 2.0]))):
            try:
                conn.execute("SELECT model_deploy.predict(%s, %s)", args)
                print("sqlstate %s none" % name)
            except psycopg.Error as e:
                print("sqlstate %s %s" % (name, e.sqlstate))
    sync_pool(psycopg)
    asyncio.run(psycopg_async(psycopg))


def sync_pool(psycopg):
    """POOL threads, a connection each, scoring for SECONDS."""
    latencies, bad = [], [0]
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def worker(k):
        mine, wrong_here = [], 0
        with psycopg.connect(DSN, autocommit=True) as conn:
            i = k
            while time.monotonic() < stop:
                r = REQUESTS[i % len(REQUESTS)]
                t = time.perf_counter()
                (p,) = conn.execute("SELECT model_deploy.predict(%s, %s)",
                                    ("cancer", r["array"]),
                                    prepare=True).fetchone()
                mine.append(time.perf_counter() - t)
                wrong_here += wrong(p, r)
                i += POOL
        with lock:
            latencies.extend(mine)
            bad[0] += wrong_here

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(POOL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report_latency("sync_pool8", latencies, bad[0])


async def psycopg_async(psycopg):
    conns = [await psycopg.AsyncConnection.connect(DSN, autocommit=True)
             for _ in range(POOL)]
    answers = []
    for r in REQUESTS:
        cur = await conns[0].execute("SELECT model_deploy.predict(%s, %s)",
                                     ("cancer", json.dumps(r["object"])),
                                     prepare=True)
        answers.append((await cur.fetchone())[0])
    report_check("async_untyped_json", answers)
    latencies, bad = [], [0]
    stop = time.monotonic() + SECONDS

    async def worker(k):
        i = k
        while time.monotonic() < stop:
            r = REQUESTS[i % len(REQUESTS)]
            t = time.perf_counter()
            cur = await conns[k].execute(
                "SELECT model_deploy.predict(%s, %s)", ("cancer", r["array"]),
                prepare=True, binary=True)
            (p,) = await cur.fetchone()
            latencies.append(time.perf_counter() - t)
            bad[0] += wrong(p, r)
            i += POOL

    await asyncio.gather(*(worker(k) for k in range(POOL)))
    report_latency("async_pool8", latencies, bad[0])
    try:
        await conns[0].execute("SELECT model_deploy.predict(%s, %s)",
                               ("no_such_model", "{1}"))
        print("sqlstate unknown_model_async none")
    except psycopg.Error as e:
        print("sqlstate unknown_model_async %s" % e.sqlstate)
    for c in conns:
        await c.close()


# ---- asyncpg --------------------------------------------------------------

async def asyncpg_checks():
    import asyncpg

    conn = await asyncpg.connect(ASYNCPG_DSN)
    array = await conn.prepare(
        "SELECT model_deploy.predict($1, $2::float8[])")
    jsonb = await conn.prepare("SELECT model_deploy.predict($1, $2::jsonb)")
    untyped = await conn.prepare("SELECT model_deploy.predict($1, $2)")
    row = await conn.prepare(
        "SELECT model_deploy.predict('cancer', p) FROM patients p WHERE id = $1")
    report_check("array", [await array.fetchval("cancer", r["array"])
                           for r in REQUESTS])
    report_check("jsonb", [await jsonb.fetchval("cancer", json.dumps(r["object"]))
                           for r in REQUESTS])
    report_check("untyped_json", [await untyped.fetchval(
        "cancer", json.dumps(r["object"])) for r in REQUESTS])
    report_check("untyped_literal", [await untyped.fetchval("cancer", r["literal"])
                                     for r in REQUESTS])
    report_check("row", [await row.fetchval(r["id"]) for r in REQUESTS])
    for name, stmt, args in (("unknown_model", array, ("no_such_model", [1.0])),
                             ("wrong_count", array, ("cancer", [1.0, 2.0])),
                             ("unknown_model_untyped", untyped,
                              ("no_such_model", "{1}"))):
        try:
            await stmt.fetchval(*args)
            print("sqlstate %s none" % name)
        except asyncpg.PostgresError as e:
            print("sqlstate %s %s" % (name, e.sqlstate))
    await conn.close()

    pool = await asyncpg.create_pool(ASYNCPG_DSN, min_size=POOL, max_size=POOL)
    latencies, bad = [], [0]
    stop = time.monotonic() + SECONDS

    async def worker(k):
        i = k
        async with pool.acquire() as c:
            while time.monotonic() < stop:
                r = REQUESTS[i % len(REQUESTS)]
                t = time.perf_counter()
                # asyncpg prepares and caches the statement per connection
                p = await c.fetchval("SELECT model_deploy.predict($1, $2)",
                                     "cancer", r["literal"])
                latencies.append(time.perf_counter() - t)
                bad[0] += wrong(p, r)
                i += POOL

    await asyncio.gather(*(worker(k) for k in range(POOL)))
    report_latency("pool8", latencies, bad[0])
    await pool.close()


if __name__ == "__main__":
    if sys.argv[1] == "psycopg":
        psycopg_checks()
    else:
        asyncio.run(asyncpg_checks())
