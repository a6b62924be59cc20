# kill -9 of a backend while it deploys (and while others hold models
# pinned in shared memory): the postmaster reinitialises shared memory, and
# after the restart every committed model still scores as XGBoost does,
# the interrupted deploy left nothing, and the store fills up again.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MdTest;

my $node = md_node('crash', conf => "restart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', setup_checks_sql());
my %models = (c_diab => 'diabetes_reg', c_iris => 'iris_softprob', c_bc => 'bc_logistic');
foreach my $name (sort keys %models)
{
	my $fx = $models{$name};
	my $file = fixture_file($fx, 'model.json');
	$node->safe_psql('postgres', load_fixture_sql($fx)
		  . "SELECT model_deploy.deploy('$name', pg_read_file('$file'));");
	is($node->safe_psql('postgres', "SELECT md_check('$name', '$fx') > 0"),
		't', "$name scores as XGBoost does before the crash");
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM model_deploy.shared_models'),
	'3', 'three versions in shared memory');

# a session scoring through a cursor: c_diab stays pinned
my $holder = open_cursor($node, 'predict', 'c_diab', 'diabetes_reg');
is($node->safe_psql('postgres', "SELECT pins FROM model_deploy.shared_models WHERE name = 'c_diab'"),
	'1', 'c_diab is pinned by the open cursor');

# A deploy that waits for the registry lock, held by another session: it
# has compiled the new version and sits inside deploy() when it is killed.
my $locker = $node->background_psql('postgres');
$locker->query_safe(
	"BEGIN; LOCK TABLE model_deploy.model_version IN SHARE ROW EXCLUSIVE MODE;");
my $deployer = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $deployer->query_safe('SELECT pg_backend_pid()');
my $iris = fixture_file('iris_softprob', 'model.json');
$deployer->query_until(qr/deploying/,
	"\\echo deploying\nSELECT model_deploy.deploy('c_new', pg_read_file('$iris'));\n");
$node->poll_query_until('postgres',
	"SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $pid AND NOT granted)")
  or die 'the deploy did not start waiting';
ok(1, "backend $pid waits inside deploy()");

my $log_offset = -s $node->logfile;
kill 'KILL', $pid;
wait_crash_restart($node, $pid, $log_offset);
eval { $_->quit } foreach ($holder, $locker, $deployer);

is($node->safe_psql('postgres', 'SELECT count(*) FROM model_deploy.shared_models'),
	'0', 'shared memory starts empty after the restart');
is( $node->safe_psql(
		'postgres', "SELECT compiles FROM model_deploy.store_stats() WHERE scope = 'server'"),
	'0',
	'and so do the server-wide counters');
is( $node->safe_psql(
		'postgres', "SELECT string_agg(name || ':' || version, ',' ORDER BY name) FROM model_deploy.models"),
	'c_bc:1,c_diab:1,c_iris:1',
	'every committed model is still deployed; the killed deploy left nothing');
foreach my $name (sort keys %models)
{
	my $fx = $models{$name};
	is($node->safe_psql('postgres', "SELECT md_check('$name', '$fx') > 0"),
		't', "$name scores as XGBoost does after the restart");
}
is( $node->safe_psql(
		'postgres', "SELECT count(*), sum(pins) FROM model_deploy.shared_models"),
	'3|0',
	'the store filled up again, nothing pinned');
is($node->safe_psql('postgres',
		"SELECT model_deploy.deploy('c_new', pg_read_file('$iris'))"),
	'1', 'the interrupted deploy can be done again, as version 1');
is($node->safe_psql('postgres', "SELECT md_check('c_new', 'iris_softprob') > 0"),
	't', 'and scores');

$node->stop;
done_testing();
