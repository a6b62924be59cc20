# Memory: scoring many rows in one statement keeps the backend's memory
# flat, and huge inputs are refused before anything proportional to them
# is fetched, decompressed or copied.
#
# Per-row growth: memory is read from inside the statement, by uncorrelated
# subqueries in the select list (initplans, evaluated once the aggregate
# has consumed every row), at two row counts, so that fixed costs (caches,
# the compiled model) cancel out; a positive control (array_agg, which does
# grow per row) shows that the method sees growth.  JIT is off: LLVM's
# memory would make the larger statement look bigger.
#
# Huge inputs (a features array of 10 million elements, a 100 MB model
# text, both stored compressed): each statement runs in a fresh backend
# whose peak resident size (VmHWM) is read right after; a control statement
# that reads the value whole shows the peak it would have had.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $small = 1_000_000;
my $large = $ENV{MD_MEMORY_ROWS} // 3_000_000;
my $fixtures = "$ENV{MD_ROOT}/test/fixtures/xgboost";
my $elements = 10_000_000;	# 80 MB of float8
my $text_bytes = 100_000_000;

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'model_deploy'\njit = off");
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION model_deploy;
	SELECT model_deploy.deploy('iris',
		pg_read_file('$fixtures/iris_softprob.model.json'));
	CREATE FUNCTION proc_status_kb(field text) RETURNS bigint LANGUAGE sql
		AS \$\$ SELECT substring(pg_read_file('/proc/self/status')
								 FROM field || ':\\s*(\\d+)')::bigint \$\$;
	CREATE FUNCTION context_bytes() RETURNS bigint LANGUAGE sql
		AS \$\$ SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts \$\$;
	CREATE TABLE huge_features AS
		SELECT array_fill(1.5::float8, ARRAY[$elements]) AS f;
	CREATE TABLE huge_source AS SELECT repeat('x', $text_bytes) AS t;
});

# Memory at the end of one statement, in a fresh backend, that computes
# AGG (which must come to the row count) over ROWS rows: (anonymous RSS in
# kB, memory-context bytes).
sub memory_after
{
	my ($agg, $rows) = @_;
	my $out = $node->safe_psql('postgres', qq{
		SELECT $agg, (SELECT proc_status_kb('RssAnon')), (SELECT context_bytes())
		  FROM (SELECT generate_series(1, $rows) AS g) s});
	my ($count, $rss_kb, $ctx) = split /\|/, $out;
	die "$agg came to $count, not $rows" unless $count == $rows;
	return ($rss_kb, $ctx);
}

# Bytes of growth per row between the two row counts: (anon RSS, contexts)
sub growth_per_row
{
	my ($agg) = @_;
	my ($rss1, $ctx1) = memory_after($agg, $small);
	my ($rss2, $ctx2) = memory_after($agg, $large);
	my $rows = $large - $small;
	note sprintf("%s: anon RSS %d -> %d kB, contexts %d -> %d bytes",
		$agg, $rss1, $rss2, $ctx1, $ctx2);
	return (($rss2 - $rss1) * 1024 / $rows, ($ctx2 - $ctx1) / $rows);
}

my %paths = (
	'predict, float8[] scored in place' =>
	  "count(model_deploy.predict('iris', ARRAY[(g % 7)::float8, (g % 5)::float8, (g % 11)::float8 / 2, (g % 3)::float8]))",
	'predict_raw, an array returned per row, NULLs converted' =>
	  "count(model_deploy.predict_raw('iris', ARRAY[(g % 7)::float8, NULL, (g % 11)::float8 / 2, (g % 3)::float8]))",
);
for my $name (sort keys %paths)
{
	my ($rss, $ctx) = growth_per_row($paths{$name});
	cmp_ok($ctx, '<', 0.01,
		"$name: memory contexts do not grow per row ($ctx B/row)");
	# two backends' anonymous RSS differ by up to ~200 kB for reasons of
	# their own (0.104 B/row once, on a loaded machine); a malloc leaked per
	# row is at least 16 bytes, so 1 B/row still catches it sixteenfold
	cmp_ok($rss, '<', 1,
		"$name: anonymous memory does not grow per row ($rss B/row)");
}

my ($rss, $ctx) = growth_per_row('array_length(array_agg(g), 1)');
cmp_ok($ctx, '>', 4, "control: array_agg's growth is seen ($ctx B/row)");

is( $node->safe_psql('postgres', qq{
		SELECT pg_column_size(f) < $elements, pg_column_size(t) < $text_bytes / 10
		  FROM huge_features, huge_source}),
	't|t',
	'the huge values are stored compressed');

# Run SQL in a fresh backend; returns (stderr, peak RSS in MB after it).
sub peak_after
{
	my ($sql) = @_;
	my ($stdout, $stderr);
	$node->psql('postgres',
		"$sql;\nSELECT proc_status_kb('VmHWM') / 1024",
		stdout => \$stdout, stderr => \$stderr, on_error_stop => 0);
	my ($mb) = $stdout =~ /(\d+)\s*\z/;
	return ($stderr, $mb);
}

my ($err, $peak) = peak_after(
	"SELECT model_deploy.predict('iris', f) FROM huge_features");
like($err, qr/model "iris" expects 4 features, got $elements/,
	'a huge features array is refused');
cmp_ok($peak, '<', 60, "... with the backend's peak at $peak MB");
($err, $peak) = peak_after(
	"SELECT array_length(f, 1) FROM huge_features");
cmp_ok($peak, '>', 80, "control: reading the array whole peaks at $peak MB");

($err, $peak) = peak_after(
	"SET model_deploy.max_model_size = '1MB';\n"
	  . "SELECT model_deploy.deploy('huge', t) FROM huge_source");
like($err, qr/model text is $text_bytes bytes; the limit is 1048576/,
	'a model text over the size limit is refused');
cmp_ok($peak, '<', 60, "... with the backend's peak at $peak MB");
($err, $peak) = peak_after("SELECT md5(t) FROM huge_source");
cmp_ok($peak, '>', 100, "control: reading the text whole peaks at $peak MB");

# A backend that scores a new pinned version after every deploy (a
# score_table job each time) keeps the registry's answers of the current
# epoch only: its cache of resolutions stays the same size from the 50th
# to the 350th deploy (it grew by 100 kB before it was emptied per epoch).
sub resolutions_after_deploys
{
	my ($n) = @_;
	my $one = "SELECT model_deploy.deploy('churn', pg_read_file('$fixtures/iris_softprob.model.json')) AS v \\gset\n"
	  . "SELECT model_deploy.predict_pinned('churn', :v, ARRAY[1, 2, 3, 4]::float8[]) \\g /dev/null\n";
	return $node->safe_psql('postgres', ($one x $n)
		  . "SELECT total_bytes FROM pg_backend_memory_contexts WHERE name = 'model_deploy resolutions'");
}
my ($after_50, $after_350) = (resolutions_after_deploys(50), resolutions_after_deploys(350));
cmp_ok($after_350, '<=', $after_50,
	"resolutions kept by a backend do not grow with the versions it has pinned ($after_50 -> $after_350 bytes)");

done_testing();
