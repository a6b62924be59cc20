# A streaming hot standby scores what the primary deployed: the registry is
# replicated as ordinary tables, and the standby compiles versions into its
# own shared memory (it writes nothing).  A redeploy and a rollback on the
# primary are seen there after replay, by sessions already connected too.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MdTest;

my $primary = md_node('primary', allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', setup_checks_sql());
$primary->safe_psql('postgres',
	load_fixture_sql('diabetes_reg') . load_fixture_sql('deep_reg'));
my $diab = fixture_file('diabetes_reg', 'model.json');
my $deep = fixture_file('deep_reg', 'model.json');
is($primary->safe_psql('postgres',
		"SELECT model_deploy.deploy('sb', pg_read_file('$diab'))"),
	'1', 'version 1 deployed on the primary');

$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
is($standby->safe_psql('postgres', "SELECT md_check('sb', 'diabetes_reg')"),
	'200', 'the standby scores version 1 as XGBoost does');
is( $standby->safe_psql(
		'postgres',
		"SELECT compiles, shared_hits FROM model_deploy.store_stats() WHERE scope = 'server'"),
	'1|0',
	'the standby compiled it into its own shared memory');
is( $standby->safe_psql(
		'postgres',
		"SELECT md_check('sb', 'diabetes_reg');
		 SELECT compiles, shared_hits FROM model_deploy.store_stats() WHERE scope = 'backend'"),
	"200\n0|1",
	'a second standby connection maps that copy and compiles nothing');
is( $standby->safe_psql(
		'postgres', "SELECT in_shared_memory, versions FROM model_deploy.models WHERE name = 'sb'"),
	't|1',
	'models on the standby: in shared memory, one version');

# a session connected to the standby before the redeploy
my $watcher = $standby->background_psql('postgres');
is($watcher->query_safe("SELECT md_check('sb', 'diabetes_reg')"),
	'200', 'a standby session scores version 1');

is($primary->safe_psql('postgres',
		"SELECT model_deploy.deploy('sb', pg_read_file('$deep'))"),
	'2', 'version 2 (another model) deployed on the primary');
$primary->wait_for_catchup($standby);
is($watcher->query_safe("SELECT md_check('sb', 'deep_reg')"),
	'200', 'after replay, the same standby session scores version 2');
is($standby->safe_psql('postgres', "SELECT md_check('sb', 'deep_reg')"),
	'200', 'and so does a new one');

$primary->safe_psql('postgres', "SELECT model_deploy.activate('sb', 1)");
$primary->wait_for_catchup($standby);
is($watcher->query_safe("SELECT md_check('sb', 'diabetes_reg')"),
	'200', 'a rollback to version 1 on the primary is seen on the standby');
is( $standby->safe_psql(
		'postgres',
		"SELECT version, status FROM model_deploy.shared_models WHERE name = 'sb' ORDER BY version"),
	"1|active\n2|inactive",
	'the standby holds one copy of each version it scored');
$watcher->quit;

# the standby is read-only: deploying there fails cleanly
my ($ret, $out, $err) = $standby->psql('postgres',
	"SELECT model_deploy.deploy('sb', pg_read_file('$diab'))");
isnt($ret, 0, 'deploy on the standby fails');
like($err, qr/during recovery|read-only transaction/, '... because the standby is read-only');
($ret, $out, $err) = $standby->psql('postgres', "SELECT model_deploy.activate('sb', 2)");
like($err, qr/during recovery|read-only transaction/, 'so does activate');

# a rolled-back deploy on the primary never reaches the standby
$primary->safe_psql('postgres',
	"BEGIN; SELECT model_deploy.deploy('sb', pg_read_file('$deep')); ROLLBACK;");
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', "SELECT md_check('sb', 'diabetes_reg')"),
	'200', 'a rolled-back deploy on the primary changes nothing on the standby');
is($standby->safe_psql('postgres', "SELECT max(version) FROM model_deploy.versions WHERE name = 'sb'"),
	'2', 'the standby has versions 1 and 2 only');

$standby->stop;
$primary->stop;
done_testing();
