# Eviction under concurrency: eight models (about 2 MB compiled) share a
# 1 MB store while four clients score them at random, each checking every
# score against XGBoost's.  Versions nobody uses are evicted to make room;
# a version a running query holds is never evicted (a cursor holds one
# throughout); when the versions in use fill the store a backend scores
# with its own copy.  No errors, no wrong score, the limit is kept.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MdTest;

my $node = md_node('eviction', conf => "model_deploy.shared_memory = '1MB'\n");
$node->start;

my %fixture_of = (
	m1 => 'diabetes_reg', m2 => 'diabetes_reg', m3 => 'diabetes_reg',
	m4 => 'diabetes_reg', m5 => 'deep_reg', m6 => 'deep_reg',
	m7 => 'iris_softprob', m8 => 'dart_reg');
my %loaded;
$node->safe_psql('postgres', setup_checks_sql());
foreach my $name (sort keys %fixture_of)
{
	my $fx = $fixture_of{$name};
	my $file = fixture_file($fx, 'model.json');
	$node->safe_psql('postgres', ($loaded{$fx}++ ? '' : load_fixture_sql($fx))
		  . "SELECT model_deploy.deploy('$name', pg_read_file('$file'));");
}
$node->safe_psql('postgres', q{
	CREATE FUNCTION md_pick(i integer) RETURNS bigint LANGUAGE sql AS $$
		SELECT md_check('m' || i, CASE WHEN i <= 4 THEN 'diabetes_reg'
			WHEN i <= 6 THEN 'deep_reg' WHEN i = 7 THEN 'iris_softprob'
			ELSE 'dart_reg' END)
	$$;
});
is( $node->safe_psql(
		'postgres', 'SELECT sum(compiled_bytes) > 1.8 * 1024 * 1024 FROM model_deploy.models'),
	't',
	'the models take more than 1.8 times model_deploy.shared_memory');

# m1 stays pinned by a cursor that scores one row now, the rest later
my $holder = $node->background_psql('postgres');
$holder->query_safe(
	"BEGIN; DECLARE c CURSOR FOR
	   SELECT model_deploy.predict_raw('m1', x) IS NOT DISTINCT FROM raw AS same
		 FROM md_probe WHERE fixture = 'diabetes_reg';
	 FETCH 1 FROM c;");

$node->pgbench(
	'--no-vacuum --client=4 --jobs=2 --time=8',
	0,
	[qr/number of transactions actually processed: [1-9]/,
	 qr/number of failed transactions: 0 /],
	[qr/\A(?!.*(?:ERROR|aborted))/s],
	'four clients score eight models at random, every score checked',
	{ 'score_random' => "\\set i random(1, 8)\nSELECT md_pick(:i);\n" });

my $stats = $node->safe_psql('postgres',
	"SELECT compiles, evictions, local_copies, shared_hits FROM model_deploy.store_stats() WHERE scope = 'server'");
my ($compiles, $evictions, $local, $hits) = split /\|/, $stats;
note "server: $compiles versions compiled into shared memory, $evictions evicted, "
  . "$local own copies made when the store was full of versions in use, $hits shared hits";
cmp_ok($evictions, '>', 0, 'versions were evicted to make room');
cmp_ok($compiles, '>', 8, 'and compiled again when needed');
is( $node->safe_psql(
		'postgres', 'SELECT sum(bytes) <= 1024 * 1024 FROM model_deploy.shared_models'),
	't',
	'the store never holds more than model_deploy.shared_memory');
is( $node->safe_psql(
		'postgres', "SELECT pins FROM model_deploy.shared_models WHERE name = 'm1'"),
	'1',
	'm1, pinned by the open cursor, was never evicted');

my $rest = $holder->query_safe('FETCH ALL FROM c;');
is($rest =~ tr/t//, 199, 'the cursor scores its other 199 rows as XGBoost does');
unlike($rest, qr/f/, 'with no wrong score');
$holder->query_safe('COMMIT;');
$holder->quit;

is( $node->safe_psql(
		'postgres', 'SELECT coalesce(sum(pins), 0) FROM model_deploy.shared_models'),
	'0',
	'nothing is pinned once the queries are over');
is( $node->safe_psql(
		'postgres', 'SELECT sum(md_pick(i)) FROM generate_series(1, 8) i'),
	'1550',
	'afterwards, every model scores all its rows (4 x 200 + 2 x 200 + 150 + 200) as XGBoost does');

$node->stop;
done_testing();
