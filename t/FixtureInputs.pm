# FixtureInputs: the input rows of an XGBoost fixture (test/fixtures/xgboost)
# as a table of a TAP test's cluster, one float8 column per feature, named
# like the model's features (the CSV header).
package FixtureInputs;

use strict;
use warnings;
use Exporter 'import';

our @EXPORT = qw(fixture_dir load_inputs);

sub fixture_dir
{
	return "$ENV{MD_ROOT}/test/fixtures/xgboost";
}

# load_inputs($node, $table, $fixture, $extra_columns): create $table
# (id serial, <features>, $extra_columns) and copy the fixture's rows into
# it; returns the feature names.
sub load_inputs
{
	my ($node, $table, $fixture, $extra) = @_;
	my $csv = fixture_dir() . "/$fixture.input.csv";

	open my $fh, '<', $csv or die "$csv: $!";
	my $header = <$fh>;
	close $fh;
	$header =~ s/\r?\n$//;
	my @features = split /,/, $header;
	my $columns = join ', ', map { "$_ float8" } @features;
	$columns .= ", $extra" if defined $extra;
	$node->safe_psql('postgres', qq{
		CREATE TABLE $table (id serial, $columns);
		COPY $table ($header) FROM '$csv' WITH (FORMAT csv, HEADER);
	});
	return @features;
}

1;
