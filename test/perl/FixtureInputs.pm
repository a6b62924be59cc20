# FixtureInputs: where the project's files are for a TAP test, and the input
# rows of an XGBoost fixture (test/fixtures/xgboost) as a table of a test's
# cluster, one float8 column per feature, named like the model's features
# (the CSV header).
package FixtureInputs;

use strict;
use warnings;
use Cwd 'abs_path';
use Exporter 'import';
use File::Basename 'dirname';

our @EXPORT = qw(project_root fixture_dir load_inputs);

# The copy of the project under test: test/run says where (MD_ROOT); run by
# hand (make installcheck), the directory above t/.
sub project_root
{
	return $ENV{MD_ROOT} // abs_path(dirname(__FILE__) . '/../..');
}

sub fixture_dir
{
	return project_root() . '/test/fixtures/xgboost';
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
