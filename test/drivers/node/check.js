// node-postgres's checks for the driver-node suite (see
// test/suites/drivers.py for the requests and the report lines).  pg comes
// from the pinned docs/examples/node (NODE_PATH points at its
// node_modules).  node-postgres sends parameters as untyped text; results
// come as text, or binary with "binary: true".
'use strict';
const fs = require('fs');
const { Pool } = require('pg');

const requests = fs.readFileSync(process.env.MD_REQUESTS, 'utf8')
  .split('\n').filter((l) => l).map((l) => JSON.parse(l));
const tolerance = Number(process.env.MD_TOLERANCE);
const seconds = Number(process.env.MD_SECONDS);
const POOL = 8;

const wrong = (p, r) => p === null || !(Math.abs(Number(p) - r.expected) <= tolerance);

function reportCheck(name, answers) {
  const bad = requests.filter((r, i) => i >= answers.length || wrong(answers[i], r))
    .map((r) => r.id);
  console.log(`check ${name} ${answers.length} ${bad.length} ${bad.slice(0, 5).join(' ')}`);
}

function reportLatency(name, latencies, bad) {
  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  console.log(`check ${name} ${n} ${bad}`);
  console.log(`latency ${name} ${n} ${latencies[n >> 1].toFixed(3)} ` +
    `${latencies[Math.min(n - 1, Math.floor(n * 0.99))].toFixed(3)}`);
}

async function each(client, name, text, values, binary) {
  const answers = [];
  for (const r of requests) {
    const { rows } = await client.query({ name, text, values: values(r), binary });
    answers.push(rows[0].p);
  }
  return answers;
}

async function sqlstate(client, name, values) {
  try {
    await client.query('SELECT model_deploy.predict($1, $2)', values);
    console.log(`sqlstate ${name} none`);
  } catch (e) {
    console.log(`sqlstate ${name} ${e.code}`);
  }
}

// node-postgres decodes binary results through a UTF-8 string since
// 8.16.2, which mangles bytes that are not valid UTF-8
async function binaryWorks(client) {
  const { rows } = await client.query({ text: 'SELECT $1::float8 AS p', values: ['1.5'], binary: true });
  return rows[0].p === 1.5;
}

async function main() {
  const pool = new Pool({ max: POOL });
  const client = await pool.connect();
  for (const binary of [false, true]) {
    const proto = binary ? 'binary' : 'text';
    if (binary && !(await binaryWorks(client))) {
      console.log('skip binary node-postgres 8.16.2+ corrupts binary results, ' +
        'e.g. of SELECT $1::float8 with 1.5 (brianc/node-postgres#3495)');
      continue;
    }
    const q = (s) => `${s}_${proto}`;
    reportCheck(q('array'), await each(client, q('array'),
      'SELECT model_deploy.predict($1, $2) AS p', (r) => ['cancer', r.array], binary));
    reportCheck(q('typed_array'), await each(client, q('typed'),
      'SELECT model_deploy.predict($1, $2::float8[]) AS p', (r) => ['cancer', r.array], binary));
    reportCheck(q('json_object'), await each(client, q('object'),
      'SELECT model_deploy.predict($1, $2) AS p', (r) => ['cancer', r.object], binary));
    reportCheck(q('jsonb'), await each(client, q('jsonb'),
      'SELECT model_deploy.predict($1, $2::jsonb) AS p', (r) => ['cancer', r.object], binary));
    reportCheck(q('row'), await each(client, q('row'),
      "SELECT model_deploy.predict('cancer', p) AS p FROM patients p WHERE id = $1",
      (r) => [r.id], binary));
  }
  await sqlstate(client, 'unknown_model', ['no_such_model', [1]]);
  await sqlstate(client, 'wrong_count', ['cancer', [1, 2]]);
  client.release();

  const latencies = [];
  let bad = 0;
  const stop = Date.now() + seconds * 1000;
  async function worker(k) {
    for (let i = k; Date.now() < stop; i += POOL) {
      const r = requests[i % requests.length];
      const t = process.hrtime.bigint();
      const { rows } = await pool.query({
        name: 'score', text: 'SELECT model_deploy.predict($1, $2) AS p',
        values: ['cancer', r.array],
      });
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      bad += wrong(rows[0].p, r);
    }
  }
  await Promise.all([...Array(POOL).keys()].map(worker));
  reportLatency('pool8', latencies, bad);
  await pool.end();
}

main().catch((e) => {
  console.error(e.stack);
  process.exit(1);
});
