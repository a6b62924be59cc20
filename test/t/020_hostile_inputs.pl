# Hostile inputs through SQL: hundreds of mutated models of each format
# (XGBoost JSON, LightGBM text, UBJSON as bytea) through deploy()
# and mutated feature arrays through the scoring functions.  Every
# statement either succeeds or fails with a proper SQLSTATE (never XX000,
# internal_error), and the backend survives all of them.  (The core itself
# is fuzzed with sanitizers; this checks the SQL layer on top of it.)
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $seed = "$ENV{MD_ROOT}/test/fuzz/seeds/xgboost/categorical.json";
my $mutations = 400;

my $node = PostgreSQL::Test::Cluster->new('hostile');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'model_deploy'");
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION model_deploy;
	CREATE TABLE outcomes (what text, sqlstate text);
});

# Mutations of each format's seed: overwrite, delete or repeat a random
# slice, or cut the model short.  One session per format: a crash would
# end it (and the test) at once.  Binary formats (UBJSON) go through
# deploy(name, bytea), with the same mutations on bytes.
my %seeds = (
	xgboost => [ $seed, 'text' ],
	lightgbm => [ "$ENV{MD_ROOT}/test/fuzz/seeds/lightgbm/categorical.txt", 'text' ],
	ubjson => [ "$ENV{MD_ROOT}/test/fuzz/seeds/xgboost-ubj/categorical.ubj", 'bytea' ]);
foreach my $format (sort keys %seeds)
{
	my ($file, $type) = @{ $seeds{$format} };
	my ($read, $garbage, $cut, $thrice) = $type eq 'text'
	  ? ('pg_read_file', 'substr(md5(i::text), 1, n)', 'left(src, p)',
		 'repeat(substr(src, p, n), 3)')
	  : ('pg_read_binary_file', "decode(substr(md5(i::text), 1, 2 * n), 'hex')",
		 'substring(src FROM 1 FOR p)',
		 'substring(src FROM p FOR n) || substring(src FROM p FOR n) || substring(src FROM p FOR n)');
	my $out = $node->safe_psql('postgres', qq{
DO \$\$
DECLARE
	src $type := $read('$file');
	m $type;
	p int;
	n int;
BEGIN
	PERFORM model_deploy.deploy('seed_$format', src);
	PERFORM setseed(0.42);
	FOR i IN 1..$mutations LOOP
		p := 1 + floor(random() * length(src))::int;
		n := 1 + floor(random() * 8)::int;
		m := CASE i % 4
			WHEN 0 THEN overlay(src PLACING $garbage FROM p FOR n)
			WHEN 1 THEN overlay(src PLACING ''::$type FROM p FOR n)
			WHEN 2 THEN overlay(src PLACING $thrice FROM p FOR n)
			ELSE $cut
		END;
		BEGIN
			PERFORM model_deploy.deploy('m_$format' || i, m);
			INSERT INTO outcomes VALUES ('deploy $format', 'ok');
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO outcomes VALUES ('deploy $format', SQLSTATE);
		END;
	END LOOP;
END
\$\$;
SELECT count(*) FROM outcomes WHERE what = 'deploy $format'});
	is($out, $mutations, "$mutations mutated $format models went through deploy()");
	is($node->safe_psql('postgres', qq{SELECT count(*) FILTER (WHERE sqlstate = 'ok') > 0,
			count(*) FILTER (WHERE sqlstate <> 'ok') > 0 FROM outcomes WHERE what = 'deploy $format'}),
		't|t', "some mutated $format models are accepted, some refused");
}
$node->safe_psql('postgres', "SELECT model_deploy.deploy('seed', pg_read_file('$seed'))");

# feature arrays: wrong lengths, empty, multi-dimensional, NULLs, NaN,
# infinities, huge and tiny values, every element type
$node->safe_psql('postgres', q{
DO $$
DECLARE
	arrays text[] := ARRAY[
		'{}', '{1}', '{1,2}', '{1,2,3,4}', '{{1,2},{3,4}}', '{{1,2,3}}',
		'{NULL,NULL,NULL}', '{NaN,Infinity,-Infinity}', '{1e308,-1e308,1e-308}',
		'{0,-0,1e38}', '{3.5e38,-3.5e38,NaN}', '{16777216,-1,40}',
		'[5:7]={1,2,3}', '{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16}'];
	types text[] := ARRAY['float8', 'float4', 'numeric', 'bigint', 'integer', 'smallint'];
	f text;
BEGIN
	FOREACH f IN ARRAY arrays LOOP
		FOR t IN 1..array_length(types, 1) LOOP
			BEGIN
				EXECUTE format('SELECT model_deploy.%s(%L, %L::%s[])',
					(ARRAY['predict', 'predict_proba', 'predict_raw'])[1 + t % 3],
					'seed', f, types[t]);
				INSERT INTO outcomes VALUES ('score', 'ok');
			EXCEPTION WHEN OTHERS THEN
				INSERT INTO outcomes VALUES ('score', SQLSTATE);
			END;
		END LOOP;
	END LOOP;
END
$$});

my $summary = $node->safe_psql('postgres', q{
	SELECT what || ' ' || sqlstate || ': ' || count(*) FROM outcomes
	 GROUP BY what, sqlstate ORDER BY what, sqlstate});
note $summary;
is($node->safe_psql('postgres', q{SELECT count(*) FROM outcomes WHERE sqlstate = 'XX000'}),
	'0', 'no statement failed with an internal error');
is($node->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE sqlstate = 'ok') > 0,
		count(*) FILTER (WHERE sqlstate <> 'ok') > 0 FROM outcomes WHERE what = 'score'}),
	't|t', 'some feature arrays are scored, some refused');
# the backend and the models still work
is($node->safe_psql('postgres', q{SELECT model_deploy.predict('seed', ARRAY[1, 2, 3]) IS NOT NULL}),
	't', 'the seed model still scores');
unlike(slurp_file($node->logfile), qr/terminated by signal|was terminated/,
	'no backend crashed');

done_testing();
