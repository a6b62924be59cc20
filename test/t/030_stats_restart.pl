# Serving statistics survive a clean restart (written to
# pg_stat/model_deploy.stat at shutdown, read at start), as
# pg_stat_statements' do; a crash loses them, like PostgreSQL's own
# statistics, rather than trusting a file from an earlier shutdown.  (An
# immediate shutdown, pg_ctl -m immediate, still writes the file: the
# postmaster exits normally then, as with pg_stat_statements.)
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MdTest;

my $node = md_node('stats_restart', conf => "restart_after_crash = on\n");
$node->start;

# prediction = x + 10 (native linear regression); x = 1..1000
$node->safe_psql('postgres', q{
	CREATE EXTENSION model_deploy;
	SELECT model_deploy.deploy('kept', '{"format": "model_deploy", "format_version": 1,
		"features": [{"name": "x", "type": "numeric"}], "output": {"kind": "regression"},
		"preprocessing": [], "estimator": {"type": "linear", "coefficients": [[1]],
		"intercepts": [10], "link": "identity"}}');
	SELECT sum(model_deploy.predict('kept', ARRAY[x])) FROM generate_series(1, 1000) x;
});
my $query = q{
	SELECT s.calls, s.rows, s.prediction_mean, s.prediction_min, s.prediction_max,
		   f.count, f.mean, round(f.stddev::numeric, 6)
	  FROM model_deploy.stats s JOIN model_deploy.feature_stats f USING (name, version)
	 WHERE s.name = 'kept'};
# x: mean 500.5, sample stddev sqrt(1000 * 1001 / 12) = 288.819436
my $want = '1000|1000|510.5|11|1010|1000|500.5|288.819436';
is($node->safe_psql('postgres', $query), $want, 'statistics counted');

$node->stop;
ok(-f $node->data_dir . '/pg_stat/model_deploy.stat', 'statistics file written at shutdown');
$node->start;
ok(!-f $node->data_dir . '/pg_stat/model_deploy.stat', 'and removed once read at start');
is($node->safe_psql('postgres', $query), $want, 'statistics kept across a clean restart');

# more rows after the restart add to the kept ones: x = 1001..2000
$node->safe_psql('postgres',
	'SELECT sum(model_deploy.predict(\'kept\', ARRAY[x])) FROM generate_series(1001, 2000) x');
is( $node->safe_psql('postgres',
		"SELECT rows, prediction_mean, prediction_max FROM model_deploy.stats WHERE name = 'kept'"),
	'2000|1010.5|2010',
	'rows scored after the restart add to the kept statistics');

# a crash (a backend killed, shared memory reinitialised) does not bring
# back statistics from a file: the file went when it was read
my $victim = $node->background_psql('postgres');
my $pid = $victim->query_safe('SELECT pg_backend_pid()');
my $log_offset = -s $node->logfile;
kill 'KILL', $pid;
ok($node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset),
	'the postmaster reinitialised shared memory after the crash');
$node->poll_query_until('postgres', 'SELECT true')
  or die 'the server did not come back';
eval { $victim->quit };
is($node->safe_psql('postgres', "SELECT count(*) FROM model_deploy.stats WHERE name = 'kept'"),
	'0', 'statistics are forgotten after a crash');

$node->stop;
done_testing();
