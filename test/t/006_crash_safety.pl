# Crash safety of the registry and the shared store:
#   1. kill -9 of a backend while it holds the shared store's allocation
#      lock (model_deploy.debug_sleep_in_lock keeps it there), with a
#      deploy committed and another open at that moment;
#   2. an immediate shutdown (pg_ctl -m immediate) with deploys committed,
#      open in a transaction, and waiting inside deploy(), and a backend
#      holding the store's lock;
#   3. kill -9 of a score_table() job, then the job run again;
#   4. kill -9 of a hot standby's backend holding its store's lock, and a
#      standby session holding a pin ended by a replay conflict.
# After each: the registry is consistent (amcheck), every committed
# version is there and scores as XGBoost does, nothing uncommitted is, the
# store fills up again and its lock is free.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(time);
use MdTest;
use FixtureInputs;

my $node = md_node('crash_safety', allows_streaming => 1,
	conf => "restart_after_crash = on\nmodel_deploy.shared_memory = '2MB'\n");
$node->start;
my %file = map { $_ => fixture_file($_, 'model.json') }
  qw(diabetes_reg deep_reg dart_reg iris_softprob iris_softmax bc_logistic);
$node->safe_psql('postgres', setup_checks_sql() . 'CREATE EXTENSION amcheck;');
$node->safe_psql('postgres', load_fixture_sql($_))
  foreach qw(diabetes_reg deep_reg dart_reg iris_softprob iris_softmax bc_logistic);

# deploy(name, fixture): the version it got
sub deploy
{
	my ($name, $fx) = @_;
	return $node->safe_psql('postgres',
		"SELECT model_deploy.deploy('$name', pg_read_file('$file{$fx}'))");
}

# Which version of which model is active, and how many versions each has
sub registry
{
	my ($n) = @_;
	return $n->safe_psql('postgres', q{
		SELECT string_agg(name || ':' || versions || ':' || version, ' ' ORDER BY name)
		  FROM model_deploy.models});
}

# The registry is consistent: its table and indexes pass amcheck, every
# model has one active version, and each version scores as XGBoost does
# (%$scores: model => fixture of its active version).
sub check_registry
{
	my ($n, $when, $scores) = @_;
	# bt_index_check() raises an ERROR if an index is corrupt
	is( $n->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM verify_heapam('model_deploy.model_version')),
			   (SELECT count(*) FROM pg_index i, LATERAL bt_index_check(i.indexrelid, true)
				 WHERE i.indrelid = 'model_deploy.model_version'::regclass),
			   (SELECT count(*) FROM (SELECT name FROM model_deploy.model_version
									   GROUP BY name HAVING count(*) FILTER (WHERE active) <> 1) m)}),
		'0|3|0',
		"$when: the registry passes amcheck (table, 3 indexes), one active version per model");
	foreach my $name (sort keys %$scores)
	{
		is($n->safe_psql('postgres', "SELECT md_check('$name', '$scores->{$name}')"),
			$n->safe_psql('postgres', "SELECT count(*) FROM md_probe WHERE fixture = '$scores->{$name}'"),
			"$when: $name scores as XGBoost does");
	}
}

# A session of $n that loads model $name (checking it against $fx) and
# sleeps in the test hook, holding the store's allocation lock; returns
# it and its backend's pid once it sleeps.
sub sleep_in_lock
{
	my ($n, $name, $fx, $what) = @_;
	my $session = $n->background_psql('postgres', on_error_stop => 0);
	my $pid = $session->query_safe('SELECT pg_backend_pid()');
	$session->query_safe("SET model_deploy.debug_sleep_in_lock = '10min'");
	$session->query_until(qr/loading/, "\\echo loading\nSELECT md_check('$name', '$fx');\n");
	# PostgreSQL 17 names an extension's waits
	my $event = $n->pg_version >= 17 ? 'ModelDeploySleepInLock' : 'Extension';
	ok( $n->poll_query_until('postgres',
			"SELECT wait_event_type || '/' || wait_event FROM pg_stat_activity WHERE pid = $pid",
			"Extension/$event"),
		"$what sleeps in the test hook, holding the allocation lock");
	return ($session, $pid);
}

my %scores = (k_diab => 'diabetes_reg', k_iris => 'iris_softprob', k_bc => 'bc_logistic');
deploy($_, $scores{$_}) foreach sort keys %scores;
check_registry($node, 'at first', \%scores);

# ----------------------------------------------------------------------
# 1. kill -9 of the backend holding the store's allocation lock

# two versions not in shared memory yet: loading them takes the lock
deploy('k_hold', 'deep_reg');
deploy('k_wait', 'dart_reg');
my ($sleeper, $sleeper_pid) = sleep_in_lock($node, 'k_hold', 'deep_reg',
	'a backend loading k_hold');

my ($waiter_out, $waiter_err) = ('', '');
my $waiter = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $node->connstr('postgres') . ' application_name=waiter',
	  '-c', "SELECT md_check('k_wait', 'dart_reg')" ],
	'>', \$waiter_out, '2>', \$waiter_err);
ok( $node->poll_query_until('postgres',
		"SELECT wait_event_type || '/' || wait_event FROM pg_stat_activity WHERE application_name = 'waiter'",
		'LWLock/model_deploy'),
	'another backend loading k_wait waits for that lock (wait event LWLock model_deploy)');
is( $node->safe_psql('postgres', q{
	SELECT string_agg(s.name, ',' ORDER BY s.name) FROM model_deploy.shared_models s}),
	'k_bc,k_diab,k_iris', 'neither is in shared memory');

# Meanwhile versions already loaded score, and deploys go on: the lock
# only guards allocation.
my $started = time;
is($node->safe_psql('postgres', "SELECT md_check('k_diab', 'diabetes_reg')", timeout => 60),
	'200', 'a loaded version scores meanwhile');
my $took = time - $started;
cmp_ok($took, '<', 10, sprintf('without waiting for the lock (%.2f s)', $took));
is(deploy('k_iris', 'iris_softmax'), '2', 'a new version of k_iris is committed meanwhile');
$scores{k_iris} = 'iris_softmax';
my $open = $node->background_psql('postgres');
is( $open->query_safe(
		"BEGIN; SELECT model_deploy.deploy('k_open', pg_read_file('$file{bc_logistic}'));"),
	'1', 'and another is deployed in a transaction still open');

my $log_offset = -s $node->logfile;
kill 'KILL', $sleeper_pid;
wait_crash_restart($node, $sleeper_pid, $log_offset);
$waiter->finish;
like($waiter_err, qr/server closed the connection|terminating connection because of crash/,
	'the waiting backend was ended by the crash restart, not left waiting');
eval { $_->quit } foreach ($sleeper, $open);

is( registry($node), 'k_bc:1:1 k_diab:1:1 k_hold:1:1 k_iris:2:2 k_wait:1:1',
	'after the restart: every committed version is there, the open deploy is not');
is($node->safe_psql('postgres', 'SELECT count(*) FROM model_deploy.shared_models'),
	'0', 'shared memory starts empty');
$scores{k_hold} = 'deep_reg';
$scores{k_wait} = 'dart_reg';
check_registry($node, 'after kill -9 in the lock', \%scores);
is( $node->safe_psql('postgres', q{
	SELECT count(*) || '|' || sum(pins) FROM model_deploy.shared_models}),
	'5|0', 'the store filled up again (k_iris version 2 replaced version 1), nothing pinned');
is(deploy('k_open', 'bc_logistic'), '1', 'the open deploy can be done again, as version 1');
$scores{k_open} = 'bc_logistic';

# ----------------------------------------------------------------------
# 2. immediate shutdown in the middle of deploys

is(deploy('k_diab', 'deep_reg'), '2', 'k_diab version 2 committed before the shutdown');
my $in_txn = $node->background_psql('postgres');
$in_txn->query_safe(
	"BEGIN;
	 SELECT model_deploy.deploy('i_open', pg_read_file('$file{dart_reg}'));
	 SELECT model_deploy.deploy('k_bc', pg_read_file('$file{diabetes_reg}'));
	 SELECT model_deploy.activate('k_iris', 1);");
my $blocked = $node->background_psql('postgres', on_error_stop => 0);
my $blocked_pid = $blocked->query_safe('SELECT pg_backend_pid()');
$blocked->query_until(qr/deploying/,
	"\\echo deploying\nSELECT model_deploy.deploy('i_blocked', pg_read_file('$file{dart_reg}'));\n");
ok( $node->poll_query_until('postgres',
		"SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $blocked_pid AND NOT granted)"),
	'a third deploy waits inside deploy() for the registry lock of the open one');

my ($imm_sleeper) = sleep_in_lock($node, 'k_open', 'bc_logistic', 'and a backend loading k_open');

$log_offset = -s $node->logfile;
$started = time;
$node->stop('immediate');
$took = time - $started;
cmp_ok($took, '<', 5,
	sprintf('the immediate shutdown ends them all at once, the one holding the lock too (%.2f s)',
		$took));
eval { $_->quit } foreach ($in_txn, $blocked, $imm_sleeper);
$node->start;
ok($node->wait_for_log(qr/database system was not properly shut down; automatic recovery in progress/,
		$log_offset),
	'after the immediate shutdown the server recovers from its WAL');
is( registry($node), 'k_bc:1:1 k_diab:2:2 k_hold:1:1 k_iris:2:2 k_open:1:1 k_wait:1:1',
	'committed versions are there, and active; the open and the waiting deploys are not');
$scores{k_diab} = 'deep_reg';
check_registry($node, 'after the immediate shutdown', \%scores);
is( $node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE model_deploy.predict_pinned('k_diab', 1, x) IS DISTINCT FROM raw[1])
	  FROM md_probe WHERE fixture = 'diabetes_reg'}),
	'0', 'k_diab version 1 still scores as XGBoost does');

# ----------------------------------------------------------------------
# 3. kill -9 of a score_table() job, then the job run again

# 2000 rows, copies of bc_logistic's 200 inputs; a trigger counts each
# row's updates and makes each take 1 ms
my $expected_csv = fixture_file('bc_logistic', 'expected.csv');
load_inputs($node, 'patients', 'bc_logistic');
$node->safe_psql('postgres', qq{
	CREATE TABLE bc_expected (id serial, m0 float8, p0 float8);
	COPY bc_expected (m0, p0) FROM '$expected_csv' WITH (FORMAT csv, HEADER);
	CREATE TABLE accounts AS
		SELECT p.*, 0 AS times, NULL::float8 AS risk
		  FROM generate_series(1, 2000) g JOIN patients p ON p.id = 1 + g % 200;
	CREATE FUNCTION count_update() RETURNS trigger LANGUAGE plpgsql AS \$\$
	BEGIN
		NEW.times := OLD.times + 1;
		PERFORM pg_sleep(0.001);
		RETURN NEW;
	END
	\$\$;
	CREATE TRIGGER count_update BEFORE UPDATE ON accounts
		FOR EACH ROW EXECUTE FUNCTION count_update();
	SELECT model_deploy.deploy('bc', pg_read_file('$file{bc_logistic}'));
});
my $job = $node->background_psql('postgres', on_error_stop => 0);
$job->query_until(qr/started/,
	"\\echo started\nCALL model_deploy.score_table('accounts', 'bc', 'risk', 100);\n");
ok( $node->poll_query_until('postgres', q{
	SELECT rows_done >= 300 FROM model_deploy.batch_jobs WHERE job_id = 1 AND state = 'running'}),
	'the job is running');
my $job_pid = $node->safe_psql('postgres', 'SELECT pid FROM model_deploy.batch_jobs WHERE job_id = 1');
$log_offset = -s $node->logfile;
kill 'KILL', $job_pid;
wait_crash_restart($node, $job_pid, $log_offset);
eval { $job->quit };

my ($state, $done, $total) = split /\|/, $node->safe_psql('postgres',
	'SELECT state, rows_done, rows_total FROM model_deploy.batch_jobs WHERE job_id = 1');
is($state, 'interrupted', 'after the restart the job shows as interrupted');
ok($done >= 300 && $done < $total, "stopped midway ($done of $total rows)");
is( $node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE risk IS NOT NULL), count(*) FILTER (WHERE times = 1),
		   count(*) FILTER (WHERE times > 1)
	  FROM accounts}),
	"$done|$done|0",
	'exactly the committed chunks are scored, each row once; the chunk in flight left nothing');
$node->safe_psql('postgres', "CALL model_deploy.score_table('accounts', 'bc', 'risk', 100)");
is( $node->safe_psql('postgres', q{
	SELECT count(*), count(*) FILTER (WHERE a.times = 1),
		   count(*) FILTER (WHERE a.risk = e.p0)
	  FROM accounts a JOIN bc_expected e USING (id)}),
	'2000|2000|2000',
	'run again, the job scores the rest: every row scored exactly once, as XGBoost does');
is( $node->safe_psql('postgres', q{
	SELECT count(*) || '|' || max(state) || '|' || max(rows_done)
	  FROM model_deploy.batch_jobs WHERE job_id > 1}),
	'1|done|' . ($total - $done), 'the second job scored only what the first had not');

# ----------------------------------------------------------------------
# 4. kill -9 of a hot standby's backend holding its store's lock

$node->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('crash_standby');
$standby->init_from_backup($node, 'backup', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
is(deploy('s_new', 'iris_softprob'), '1', 'a model deployed on the primary');
$node->wait_for_catchup($standby);
my ($s_sleeper, $s_pid) = sleep_in_lock($standby, 's_new', 'iris_softprob',
	'on the standby, a backend loading it');
$log_offset = -s $standby->logfile;
kill 'KILL', $s_pid;
is(deploy('s_new', 'iris_softmax'), '2', 'meanwhile the primary deploys version 2');
wait_crash_restart($standby, $s_pid, $log_offset);
eval { $s_sleeper->quit };
$node->wait_for_catchup($standby);
$scores{s_new} = 'iris_softmax';
is(registry($standby), registry($node), 'the restarted standby has the primary\'s registry');
check_registry($standby, 'on the standby after kill -9 in the lock', \%scores);
is( $standby->safe_psql('postgres', q{
	SELECT count(*) || '|' || sum(pins) FROM model_deploy.shared_models}),
	scalar(keys %scores) . '|0', 'the standby\'s store filled up again, nothing pinned');

# A standby session scoring through a cursor pins s_new; the primary drops
# the model and vacuums; replay conflicts with the session's snapshot and
# ends it (FATAL, it is idle in its transaction): its pin is released, once.
$standby->append_conf('postgresql.conf', 'max_standby_streaming_delay = 0');
$standby->reload;
my $cursor = open_cursor($standby, 'predict_raw', 's_new', 'iris_softmax', on_error_stop => 0);
is($standby->safe_psql('postgres', "SELECT pins FROM model_deploy.shared_models WHERE name = 's_new'"),
	'1', 'a standby session\'s cursor pins s_new');
$log_offset = -s $standby->logfile;
$node->safe_psql('postgres', "SELECT model_deploy.drop_model('s_new')");
$node->safe_psql('postgres', 'VACUUM model_deploy.model_version');
$node->wait_for_catchup($standby);
ok($standby->wait_for_log(qr/terminating connection due to conflict with recovery/, $log_offset),
	'the primary drops the model and vacuums: replay ends the session');
eval { $cursor->quit };
is( $standby->safe_psql('postgres', q{
	SELECT status, pins FROM model_deploy.shared_models WHERE name = 's_new'}),
	'dropped|0', 'its pin is released, once: the dropped copy is unpinned');
delete $scores{s_new};
check_registry($standby, 'on the standby after the conflict', \%scores);

$standby->stop;
$node->stop;
done_testing();
