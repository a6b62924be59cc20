/*
 * realtime.c: real-time scoring from application code, with libpq.
 *
 * Reads one request per line on stdin, a JSON object of feature name ->
 * value, and prints the model's prediction for each.  One connection, the
 * query prepared once (PQprepare), one PQexecPrepared round trip per
 * request.  Connection settings come from the libpq environment (PGHOST,
 * PGDATABASE, ...).
 *
 *	cc -I$(pg_config --includedir) realtime.c -lpq -o realtime
 *	./realtime churn < requests.jsonl
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

static void
fail(PGconn *conn, const char *what)
{
	fprintf(stderr, "%s: %s", what, PQerrorMessage(conn));
	PQfinish(conn);
	exit(1);
}

int
main(int argc, char **argv)
{
	const char *model = argc > 1 ? argv[1] : "churn";
	PGconn	   *conn = PQconnectdb("");
	PGresult   *res;
	char		line[65536];

	if (PQstatus(conn) != CONNECTION_OK)
		fail(conn, "connect");

	/* parsed and planned once; the model name is a parameter too */
	res = PQprepare(conn, "score",
					"SELECT model_deploy.predict($1, $2::jsonb)", 2, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail(conn, "prepare");
	PQclear(res);

	while (fgets(line, sizeof(line), stdin) != NULL)
	{
		const char *params[2] = {model, line};

		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		res = PQexecPrepared(conn, "score", 2, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			fail(conn, "score");
		printf("%s\n", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	PQfinish(conn);
	return 0;
}
