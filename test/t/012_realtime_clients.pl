# The real-time examples of the documentation (docs/examples: psycopg2 and
# libpq) run against a server and return XGBoost's predictions.
use strict;
use warnings;
use File::Spec;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FixtureInputs;

my $root = project_root();
my $fx = fixture_dir();
my $python = $ENV{PYTHON} // '/usr/bin/python3';
my $node = PostgreSQL::Test::Cluster->new('realtime');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'model_deploy'");
$node->start;

# the requests: bc_logistic's input rows as JSON objects; XGBoost's
# probabilities for them, one per line
$node->safe_psql('postgres', qq{
	CREATE EXTENSION model_deploy;
	SELECT model_deploy.deploy('cancer', pg_read_file('$fx/bc_logistic.model.json'));
	CREATE TABLE expected (id serial, m0 float8, p0 float8);
	COPY expected (m0, p0) FROM '$fx/bc_logistic.expected.csv' WITH (FORMAT csv, HEADER);
});
load_inputs($node, 'patients', 'bc_logistic');
# (tmp_check is a relative path from PostgreSQL 17's test modules on; the
# server needs an absolute one)
my $tmp = File::Spec->rel2abs($PostgreSQL::Test::Utils::tmp_check);
my $requests = "$tmp/requests.jsonl";
$node->safe_psql('postgres', qq{
	COPY (SELECT to_jsonb(p) - 'id' FROM patients p ORDER BY id) TO '$requests'});
my @expected = split /\n/,
  $node->safe_psql('postgres', 'SELECT p0 FROM expected ORDER BY id');
is(scalar @expected, 200, '200 requests');

local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
local $ENV{PGDATABASE} = 'postgres';

# how many answers are within 1e-6 of XGBoost's (float32) probabilities
sub agreeing
{
	my @got = split /\n/, shift;
	return scalar grep { defined $got[$_] && abs($got[$_] - $expected[$_]) <= 1e-6 }
	  0 .. $#expected;
}

my ($py_out, $py_err);
IPC::Run::run([ $python, "$root/docs/examples/realtime.py", 'cancer' ],
	'<', $requests, '>', \$py_out, '2>', \$py_err)
  or diag $py_err;
is(agreeing($py_out), 200, 'psycopg2 example: XGBoost\'s 200 predictions');
like($py_err, qr/^200 requests: median [\d.]+ ms, p99 [\d.]+ ms$/m,
	'psycopg2 example: latency summary');

my $binary = "$tmp/realtime";
my $include = `@{[ $ENV{PG_CONFIG} // 'pg_config' ]} --includedir`;
chomp $include;
my ($cc_out, $c_out, $c_err);
ok( IPC::Run::run(
		[ 'cc', "-I$include", "$root/docs/examples/realtime.c", '-lpq', '-o', $binary ],
		'>&', \$cc_out),
	'libpq example compiles')
  or diag $cc_out;
IPC::Run::run([ $binary, 'cancer' ], '<', $requests, '>', \$c_out, '2>', \$c_err)
  or diag $c_err;
is(agreeing($c_out), 200, 'libpq example: XGBoost\'s 200 predictions');
is($c_out, $py_out, 'both examples print the same');

$node->stop;
done_testing();
