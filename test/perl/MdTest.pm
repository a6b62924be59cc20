# Helpers for the TAP tests of model_deploy: clusters with the extension
# loaded, fixtures, and a check of scores against XGBoost's own outputs.
#
# md_check(name, fixture) scores every input row of a fixture with the
# model 'name' and compares the raw margins with the ones XGBoost wrote
# (test/fixtures/xgboost/FIXTURE.expected.csv), bit for bit; it returns the
# number of rows, and raises an error if any row differs.
#
# wait_crash_restart($node, $pid, $log_offset) waits until the postmaster
# has seen backend $pid die of signal 9 (two tests) and is back.
package MdTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(md_node fixture_file load_fixture_sql setup_checks_sql
  wait_crash_restart open_cursor);

# A new node with model_deploy preloaded and the given extra settings.
sub md_node
{
	my ($name, %params) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => $params{allows_streaming} // 0);
	my $preload = $params{preload} // 1;
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = '" . ($preload ? 'model_deploy' : '') . "'\n"
		  . ($params{conf} // ''));
	return $node;
}

sub fixture_file
{
	my ($fixture, $kind) = @_;
	return "$ENV{MD_ROOT}/test/fixtures/xgboost/$fixture.$kind";
}

# Rows of a fixture CSV (header skipped) as SQL float8[] literals.
sub csv_arrays
{
	my ($file, $columns) = @_;
	my @lines = split /\r?\n/, slurp_file($file);
	my @header = split /,/, shift @lines;
	my $n = $columns ? $columns->(@header) : scalar @header;
	my @rows;
	foreach my $line (@lines)
	{
		next if $line eq '';
		my @f = split /,/, $line, -1;
		@f = map { $_ eq '' ? 'NULL' : $_ } @f[ 0 .. $n - 1 ];
		push @rows, "'{" . join(',', @f) . "}'::float8[]";
	}
	return @rows;
}

# SQL that stores a fixture's input rows and XGBoost's margins for them.
sub load_fixture_sql
{
	my ($fixture) = @_;
	my @x = csv_arrays(fixture_file($fixture, 'input.csv'));
	my @raw = csv_arrays(fixture_file($fixture, 'expected.csv'),
		sub { scalar grep { /^m\d+$/ } @_ });
	die "row counts differ in fixture $fixture" unless @x == @raw;
	return "INSERT INTO md_probe VALUES "
	  . join(",\n", map { "('$fixture', $x[$_], $raw[$_])" } 0 .. $#x) . ";\n";
}

# SQL that creates md_probe and md_check() in the current database.
sub setup_checks_sql
{
	return <<'SQL';
CREATE EXTENSION IF NOT EXISTS model_deploy;
CREATE TABLE md_probe (fixture text, x float8[], raw float8[]);
CREATE FUNCTION md_check(name text, fx text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	bad bigint;
	n bigint;
BEGIN
	SELECT count(*) FILTER (WHERE model_deploy.predict_raw(name, p.x) IS DISTINCT FROM p.raw),
		   count(*)
	  INTO bad, n
	  FROM md_probe p WHERE p.fixture = fx;
	IF n = 0 OR bad > 0 THEN
		RAISE EXCEPTION 'model %: % of % rows of % scored differently from XGBoost',
			name, bad, n, fx;
	END IF;
	RETURN n;
END
$$;
SQL
}

sub wait_crash_restart
{
	my ($node, $pid, $offset) = @_;
	Test::More::ok(
		# "client backend" from PostgreSQL 18, "server process" before
		$node->wait_for_log(
			qr/(?:server process|client backend) \(PID $pid\) was terminated by signal 9/,
			$offset),
		"the postmaster saw backend $pid die");
	Test::More::ok($node->wait_for_log(qr/all server processes terminated; reinitializing/, $offset),
		'and reinitialised shared memory');
	$node->poll_query_until('postgres', 'SELECT true')
	  or die 'the server did not come back';
}

# A session scoring $fixture's inputs (md_probe) with $fn('$model', x)
# through a cursor, its first row fetched: it holds a pin on the version
# until the transaction ends.  Returns the BackgroundPsql session.
sub open_cursor
{
	my ($node, $fn, $model, $fixture, %params) = @_;
	my $session = $node->background_psql('postgres', %params);
	$session->query_safe(
		"BEGIN; DECLARE c CURSOR FOR SELECT model_deploy.$fn('$model', x) FROM md_probe
		 WHERE fixture = '$fixture';
		 FETCH 1 FROM c;");
	return $session;
}

1;
