# test/t/013_edge_identical.pl
#
# A model scores identically in the database and on a device: every XGBoost
# fixture is deployed, its inputs are scored through SQL (predict,
# predict_proba, predict_raw), through `mdscore predict` on the model JSON,
# and through `mdscore predict` on the blob that export_compiled() returns;
# every double must be the same.  The exported blob must also be byte for
# byte what `mdscore compile` makes of the JSON.
#
# Needs build/mdscore (made by `make`); MD_ROOT is the copy of the project
# under test (test/run sets it).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = $ENV{MD_ROOT} // '.';
my $mdscore = "$root/build/mdscore";
my $fixdir = "$root/test/fixtures/xgboost";
my $tmp = PostgreSQL::Test::Utils::tempdir;

plan skip_all => "$mdscore not built" unless -x $mdscore;

my $node = PostgreSQL::Test::Cluster->new('edge');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'model_deploy'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION model_deploy');

# Run mdscore; returns its standard output, failing the test on an error.
sub mdscore
{
	my @args = @_;
	my ($stdout, $stderr);
	my $ok = IPC::Run::run([ $mdscore, @args ], '>', \$stdout, '2>', \$stderr);
	ok(0, "mdscore @args: $stderr") unless $ok;
	return $stdout;
}

# Rows of a fixture input as PostgreSQL array literals (empty -> NULL).
sub input_arrays
{
	my ($file) = @_;
	my @lines = split /\r?\n/, slurp_file($file);
	shift @lines;
	return map {
		my @f = split /,/, $_, -1;
		'{' . join(',', map { $_ eq '' ? 'NULL' : $_ } @f) . '}'
	} grep { $_ ne '' } @lines;
}

# One SQL scoring function over all rows, as lines of comma-separated
# values in row order (float8 text is shortest-exact in PostgreSQL 15).
sub sql_scores
{
	my ($func, $model, $rows) = @_;
	my $values = join(",\n",
		map { "($_, '$rows->[$_]'::float8[])" } 0 .. $#$rows);
	my $out = $node->safe_psql(
		'postgres', qq{
		SET extra_float_digits = 3;
		SELECT array_to_string(ARRAY[model_deploy.$func('$model', f)]::float8[], ',')
		  FROM (VALUES $values) v(n, f) ORDER BY n});
	return [ split /\n/, $out ];
}

# Compare two lists of lines of numbers as doubles; returns the number of
# values that differ, and notes the first.
sub differing
{
	my ($what, $a, $b) = @_;
	my $bad = 0;
	if (@$a != @$b)
	{
		diag("$what: " . scalar(@$a) . " rows vs " . scalar(@$b));
		return 1;
	}
	for my $i (0 .. $#$a)
	{
		my @x = split /,/, $a->[$i];
		my @y = split /,/, $b->[$i];
		my $row_bad = @x != @y;
		for my $k (0 .. $#x)
		{
			$row_bad ||= !defined $y[$k] || $x[$k] != $y[$k];
		}
		diag("$what: row $i: $a->[$i] vs $b->[$i]") if $row_bad && !$bad;
		$bad += $row_bad;
	}
	return $bad;
}

opendir(my $dh, $fixdir) or die "cannot open $fixdir: $!";
my @fixtures = sort map { /^(.*)\.model\.json$/ ? $1 : () } readdir $dh;
closedir $dh;
cmp_ok(scalar @fixtures, '>=', 27, 'all the fixtures are there');

for my $f (@fixtures)
{
	my $json = "$fixdir/$f.model.json";
	my $input = "$fixdir/$f.input.csv";
	my $name = "fx_$f";

	$node->safe_psql('postgres',
		"SELECT model_deploy.deploy('$name', pg_read_file('$json'))");

	# the exported blob, written to a file as psql's \copy or a script would
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(model_deploy.export_compiled('$name'), 'hex')");
	my $exported = "$tmp/$f.exported.mdb";
	open(my $fh, '>:raw', $exported) or die $!;
	print $fh pack('H*', $hex);
	close $fh;
	mdscore('compile', $json, '-o', "$tmp/$f.compiled.mdb");
	ok(slurp_file($exported) eq slurp_file("$tmp/$f.compiled.mdb"),
		"$f: export_compiled() is byte for byte what mdscore compile makes");

	my @rows = input_arrays($input);
	my $info = mdscore('info', $exported);
	my ($n_proba) = $info =~ /--proba (\d+)/;

	my @kinds = ([ 'predict_raw', '--raw' ], [ 'predict', () ]);
	push @kinds, [ 'predict_proba', '--proba' ] if $n_proba;
	for my $kind (@kinds)
	{
		my ($func, @opt) = @$kind;
		my $sql = sql_scores($func, $name, \@rows);
		my $from_json = [ split /\n/, mdscore('predict', @opt, $json, $input) ];
		my $from_blob = [ split /\n/, mdscore('predict', @opt, $exported, $input) ];
		is(differing("$f $func json", $sql, $from_json)
			  + differing("$f $func blob", $sql, $from_blob)
			  + (@$sql == @rows ? 0 : 1),
			0,
			"$f: $func: " . scalar(@rows)
			  . " rows identical in SQL, mdscore on the JSON and on the exported blob");
	}
}

$node->stop;
done_testing();
