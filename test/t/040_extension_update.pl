# ALTER EXTENSION model_deploy UPDATE from the released 0.1: every deployed
# model (all 27 XGBoost fixtures, one with two versions) scores exactly as
# before and as XGBoost does, and the updated database's catalog is the
# same as a fresh 0.2 install's, made by 0.2's own install script
# (model_deploy--0.2.sql, assembled from sql/ by make): pg_dump
# --binary-upgrade dumps every member of the extension with its full
# definition, privileges and comments.  The update and the fresh install
# run under a hostile search_path; the upgrade script refuses to be run by
# psql.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MdTest;
use MdUpgrade;

my $node = md_node('update');
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE md_updated; CREATE DATABASE md_fresh');
$node->safe_psql('md_updated', "CREATE EXTENSION model_deploy VERSION '0.1'");
is($node->safe_psql('md_updated',
		"SELECT extversion FROM pg_extension WHERE extname = 'model_deploy'"),
	'0.1', 'the released 0.1 installs');
my $n = deploy_all($node, 'md_updated');
my $rows = check_all($node, 'md_updated');
ok($rows > 0, "0.1: $n models score $rows rows as XGBoost does");
$node->safe_psql('md_updated', snapshot_sql('before')
	  . "CREATE TABLE versions_before AS SELECT * FROM model_deploy.versions");

# Functions that would match the script's calls better than pg_catalog's
# (text arguments) if it named them without a schema: each raises an error.
my $trap_sql = q{
	CREATE SCHEMA trap;
	CREATE FUNCTION trap.format(text, text) RETURNS text
		LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'trap.format called'; END$$;
	CREATE FUNCTION trap.regexp_replace(text, text, text, text) RETURNS text
		LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'trap.regexp_replace called'; END$$;
	CREATE FUNCTION trap.pg_get_functiondef(integer) RETURNS text
		LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'trap.pg_get_functiondef called'; END$$;
};
$node->safe_psql('md_updated', $trap_sql);
$node->safe_psql('md_updated',
	'SET search_path = trap, public; ALTER EXTENSION model_deploy UPDATE');
is($node->safe_psql('md_updated',
		"SELECT extversion FROM pg_extension WHERE extname = 'model_deploy'"),
	'0.2', 'ALTER EXTENSION model_deploy UPDATE reaches 0.2 (search_path = trap)');

# a new connection: nothing compiled in this backend before the update
is(check_all($node, 'md_updated'), $rows,
	"0.2: the $n models score the same $rows rows as XGBoost does");
$node->safe_psql('md_updated', snapshot_sql('after'));
is( $node->safe_psql('md_updated', q{
	SELECT count(*) FROM before b FULL JOIN after a USING (fixture, n)
	 WHERE a.predicted IS DISTINCT FROM b.predicted}),
	'0', 'predict() of every row identical before and after');
is( $node->safe_psql('md_updated', q{
	SELECT count(*) FROM (SELECT * FROM versions_before
						  EXCEPT SELECT name, version, active, format, source_bytes,
										compiled_bytes, created_at, created_by
								   FROM model_deploy.versions) d}),
	'0', 'every version is kept, the same one active');
is($node->safe_psql('md_updated',
		'SELECT count(*) FROM model_deploy.versions WHERE metadata IS NOT NULL'),
	'0', 'versions deployed by 0.1 have no metadata');
is($node->safe_psql('md_updated', q{
		SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc
		 WHERE pronamespace = 'model_deploy'::regnamespace AND proname ~ '^_'}),
	'', 'no helper is left in the schema model_deploy');

# the same objects as a fresh install of 0.2 (its own install script,
# assembled from sql/ by make), under the same hostile search_path, with
# the same test objects
my $sharedir = `$ENV{PG_CONFIG} --sharedir`;
chomp $sharedir;
ok(-f "$sharedir/extension/model_deploy--0.2.sql",
	'0.2 has an install script of its own (a fresh install does not run 0.1 and the upgrade)');
$node->safe_psql('md_fresh', $trap_sql);
$node->safe_psql('md_fresh',
	'SET search_path = trap, public; CREATE EXTENSION model_deploy');
$node->safe_psql('md_fresh', 'DROP SCHEMA trap CASCADE;'
	  . setup_checks_sql()
	  . 'CREATE SCHEMA trap; CREATE TABLE before (); CREATE TABLE after ();'
	  . 'CREATE TABLE versions_before ()');
$node->safe_psql('md_updated', q{
	DROP SCHEMA trap CASCADE;
	DROP TABLE before, after, versions_before;
	CREATE SCHEMA trap; CREATE TABLE before (); CREATE TABLE after ();
	CREATE TABLE versions_before ()});
my $fresh = catalog_dump($node, 'md_fresh');
my $updated = catalog_dump($node, 'md_updated');
like($fresh, qr/ALTER EXTENSION model_deploy ADD FUNCTION model_deploy_internal\._compile/,
	'the dump has the extension\'s members');
my $dir = $PostgreSQL::Test::Utils::tmp_check;
PostgreSQL::Test::Utils::append_to_file("$dir/fresh.sql", $fresh);
PostgreSQL::Test::Utils::append_to_file("$dir/updated.sql", $updated);
my ($diff) = run_command([ 'diff', '-u', "$dir/fresh.sql", "$dir/updated.sql" ]);
is($diff, '', 'the updated catalog is the fresh 0.2 catalog (pg_dump --binary-upgrade)');

# VACUUM's truncation would take an ACCESS EXCLUSIVE lock that every
# scorer queues behind (sql/10_registry.sql)
is( $node->safe_psql('md_updated', q{
	SELECT pg_catalog.string_agg(c.relname, ', ' ORDER BY c.relname)
	  FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid
	 WHERE c.relnamespace = 'model_deploy'::pg_catalog.regnamespace AND c.relkind = 'r'
	   AND NOT ('vacuum_truncate=false' = ANY (coalesce(c.reloptions, '{}'))
		 AND (t.oid IS NULL OR 'vacuum_truncate=false' = ANY (coalesce(t.reloptions, '{}'))))}),
	'', 'VACUUM truncates none of the extension\'s tables or their TOAST tables');

# run by psql, the upgrade script only says how it is meant to be used
my ($ret, $out, $err) = $node->psql('md_fresh',
	undef, extra_params => [ '-f', "$sharedir/extension/model_deploy--0.1--0.2.sql" ]);
like($out . $err, qr/Use "ALTER EXTENSION model_deploy UPDATE TO '0\.2'" to load this file/,
	'psql -f of the upgrade script stops at its \echo guard');

done_testing();
