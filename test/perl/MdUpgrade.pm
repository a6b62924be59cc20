# Helpers for the upgrade tests (040_extension_update, 041_pg_upgrade):
# models of every XGBoost fixture deployed, their scores kept, and a
# catalog dump that two databases can be compared by.
#
# deploy_all($node, $db) deploys every fixture of test/fixtures/xgboost as
# a model of its name (diabetes_reg twice, version 1 active again) and
# stores its input rows and XGBoost's margins for md_check (MdTest.pm).
#
# check_all($node, $db) runs md_check for every fixture: the margins of
# every model against XGBoost's, bit for bit; returns the rows checked.
#
# snapshot_sql($table) is SQL that stores in $table every model's
# predict() for every input row (after the objective's transform, which
# md_check does not see), to compare after an upgrade.
#
# catalog_dump($node, $db) is the database's schema as pg_upgrade sees it
# (pg_dump --schema-only --binary-upgrade dumps every member of an
# extension), without what differs between any two databases: oids,
# relfilenodes, frozen xids, the database's own name.
package MdUpgrade;

use strict;
use warnings;
use Exporter 'import';
use File::Basename;
use IPC::Run;
use PostgreSQL::Test::Utils;
use MdTest;

our @EXPORT = qw(fixtures deploy_all check_all snapshot_sql catalog_dump);

sub fixtures
{
	return map { basename($_, '.model.json') }
	  sort glob("$ENV{MD_ROOT}/test/fixtures/xgboost/*.model.json");
}

sub deploy_all
{
	my ($node, $db) = @_;
	my $sql = setup_checks_sql();
	foreach my $fx (fixtures())
	{
		my $file = fixture_file($fx, 'model.json');
		$sql .= load_fixture_sql($fx)
		  . "SELECT model_deploy.deploy('$fx', pg_read_file('$file'));\n";
	}
	# a second version, rolled back: both must survive, version 1 active
	my $deep = fixture_file('deep_reg', 'model.json');
	$sql .= "SELECT model_deploy.deploy('diabetes_reg', pg_read_file('$deep'));\n"
	  . "SELECT model_deploy.activate('diabetes_reg', 1);\n";
	$node->safe_psql($db, $sql);
	return scalar fixtures();
}

sub check_all
{
	my ($node, $db) = @_;
	my $rows = 0;
	$rows += $node->safe_psql($db, "SELECT md_check('$_', '$_')")
	  foreach fixtures();
	return $rows;
}

sub snapshot_sql
{
	my ($table) = @_;
	return qq{
	CREATE TABLE $table AS
	SELECT p.fixture, row_number() OVER (PARTITION BY p.fixture ORDER BY p.ctid) AS n,
		   model_deploy.predict(p.fixture, p.x) AS predicted
	  FROM md_probe p;
	};
}

sub catalog_dump
{
	my ($node, $db) = @_;
	my ($dump, $err);
	IPC::Run::run(
		[ 'pg_dump', '--schema-only', '--binary-upgrade', '-d', $node->connstr($db) ],
		'>', \$dump, '2>', \$err)
	  or die "pg_dump $db: $err";
	my @lines = grep {
		!/binary_upgrade_set_next_|binary_upgrade_set_pg_class_oids|relfilenode/
		  && !/^SET relfrozenxid = |^WHERE oid = '\d+';$/
		  && !/^-- Dumped (from|by)/
		  && !/^\\(un)?restrict /
	} split /\n/, $dump;
	foreach (@lines)
	{
		s/\Q$db\E/DB/g;
		# the oids of the extension's configuration tables
		s/(binary_upgrade_create_empty_extension\(.*?)'\{[\d,]*\}'/$1'{oids}'/;
	}
	return join("\n", @lines) . "\n";
}

1;
