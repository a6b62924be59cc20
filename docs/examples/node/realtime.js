// Real-time scoring with node-postgres (pg), from a pool of connections.
//
// Reads one request per line on stdin, a JSON object of feature name ->
// value, scores them all concurrently on a pool of 8 connections and
// prints the predictions in the order of the requests.  A named query is
// prepared once per connection; node-postgres sends the parameters as
// untyped text, and the server picks model_deploy.predict(text, text),
// which reads a JSON object or an array (a JavaScript array arrives as an
// array literal).
//
//   PGHOST=localhost PGDATABASE=shop node realtime.js churn < requests.jsonl
//
// Connection settings come from the usual PG* environment variables.
'use strict';
const { Pool } = require('pg');
const readline = require('readline');

const model = process.argv[2] || 'churn';
const pool = new Pool({ max: 8 });

async function score(features) {
  const { rows } = await pool.query({
    name: 'score',
    text: 'SELECT model_deploy.predict($1, $2) AS p',
    values: [model, features],
  });
  return rows[0].p;
}

async function main() {
  const requests = [];
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line.trim()) requests.push(line);
  }
  for (const p of await Promise.all(requests.map(score))) console.log(p);
  await pool.end();
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
