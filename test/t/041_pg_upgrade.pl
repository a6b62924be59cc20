# pg_upgrade of a cluster with models deployed, from an older major to the
# one under test: every model (all 27 XGBoost fixtures, one with two
# versions) scores afterwards exactly as before and as XGBoost does; the
# shared store of the new cluster starts empty and refills as models are
# scored.
#
# Needs an older PostgreSQL with model_deploy installed, given as
# MD_UPGRADE_FROM (its installation directory, e.g. /usr/lib/postgresql/17).
# Debian ships one major per release, so only tools/pg-matrix 18 sets it:
# the Debian unstable root gets Debian 13's PostgreSQL 17 (docs/versions.md).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MdTest;
use MdUpgrade;

my $from = $ENV{MD_UPGRADE_FROM};
plan skip_all => 'no older PostgreSQL with model_deploy here (MD_UPGRADE_FROM)'
  unless $from && -x "$from/bin/postgres";

my $conf = "shared_preload_libraries = 'model_deploy'\njit = off\n";
my $new = PostgreSQL::Test::Cluster->new('new');
my $new_major_refuses_attver = $new->pg_version >= 18;
my $old = PostgreSQL::Test::Cluster->new('old', install_path => $from);
$old->init;
$old->append_conf('postgresql.conf', $conf);
$old->start;
my $n = deploy_all($old, 'postgres');
my $rows = check_all($old, 'postgres');
ok($rows > 0, "PostgreSQL " . $old->pg_version . ": $n models score $rows rows as XGBoost does");
$old->safe_psql('postgres', snapshot_sql('before'));
my $extversion = $old->safe_psql('postgres',
	"SELECT extversion FROM pg_extension WHERE extname = 'model_deploy'");

# Debian 13's PostgreSQL 17.12 stores a column option pg_attver on every
# column, which 18.6 refuses ("unrecognized parameter"): pg_upgrade between
# the two fails for any table, with or without model_deploy.  Cleared here
# so that the rest of the test is about model_deploy; docs/versions.md.
my $stamped = $old->safe_psql('postgres', q{
	SELECT count(*) FROM pg_attribute
	 WHERE attrelid >= 16384 AND attoptions::text LIKE '%pg_attver=%'});
if ($stamped > 0 && $new_major_refuses_attver)
{
	$old->safe_psql('postgres', q{
		UPDATE pg_attribute SET attoptions = NULL
		 WHERE attrelid >= 16384 AND attoptions::text LIKE '%pg_attver=%'});
	diag("cleared the pg_attver option of $stamped columns of the old cluster");
}
$old->stop;


# pg_upgrade needs the old cluster's checksum setting; initdb turns
# checksums on by default from PostgreSQL 18
$new->init(extra => $new->pg_version >= 18 ? ['--no-data-checksums'] : []);
$new->append_conf('postgresql.conf', $conf);

# pg_upgrade runs the old binaries, with the libraries they may need from
# their own lib directory (as the old node's commands have them)
local $ENV{LD_LIBRARY_PATH} = "$from/lib";
command_ok(
	[ 'pg_upgrade', '--no-sync', '--copy',
	  '-d', $old->data_dir, '-D', $new->data_dir,
	  '-b', $old->config_data('--bindir'), '-B', $new->config_data('--bindir'),
	  '-s', $new->host, '-p', $old->port, '-P', $new->port ],
	'pg_upgrade from ' . $old->pg_version . ' to ' . $new->pg_version);
$new->start;

is($new->safe_psql('postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'model_deploy'"),
	$extversion, "the extension is still $extversion");
is($new->safe_psql('postgres', q{
		SELECT count(*) FROM model_deploy.shared_models}),
	'0', 'the shared store of the new cluster starts empty');
is($new->safe_psql('postgres', q{
		SELECT count(*) FILTER (WHERE active), count(*) FROM model_deploy.versions}),
	"$n|" . ($n + 1), 'every version is there, one active per model');
is(check_all($new, 'postgres'), $rows,
	'PostgreSQL ' . $new->pg_version . ": the $n models score the same $rows rows as XGBoost does");
$new->safe_psql('postgres', snapshot_sql('after'));
is( $new->safe_psql('postgres', q{
	SELECT count(*) FROM before b FULL JOIN after a USING (fixture, n)
	 WHERE a.predicted IS DISTINCT FROM b.predicted}),
	'0', 'predict() of every row identical before and after');
is($new->safe_psql('postgres', q{
		SELECT count(*) FROM model_deploy.shared_models}),
	$n, "the store refilled: the $n active versions are in shared memory");

$new->stop;
done_testing();
