# Hostile inputs through SQL: hundreds of mutated models of each format
# (XGBoost JSON, LightGBM text, XGBoost UBJSON and ONNX as bytea, CatBoost
# JSON) through deploy() and mutated feature arrays through the scoring
# functions.  Every statement either succeeds or fails with a proper
# SQLSTATE (never XX000, internal_error), and the backend survives all of
# them.  Each mutation is deployed as a new version of the format's seed
# model: after it the seed's version 1 is the active one again and scores
# as before, a mutant that deployed is scored too and then dropped, and
# the shared store holds the same entries and bytes as before the battery
# (apart from the copies of the mutants that deployed and were scored).
# (The core itself is fuzzed with sanitizers; this checks the SQL layer
# on top of it.)
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $seeds_dir = "$ENV{MD_ROOT}/test/fuzz/seeds";
my $seed = "$seeds_dir/xgboost/categorical.json";
my $mutations = 400;

my $node = PostgreSQL::Test::Cluster->new('hostile');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'model_deploy'");
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION model_deploy;
	CREATE TABLE outcomes (what text, sqlstate text, message text);
	CREATE TABLE accepted (deploy_id bigint);
});

# The store's entries and bytes, but for the copies of accepted mutants
sub store_use
{
	return $node->safe_psql('postgres', q{
		SELECT count(*) || ' entries, ' || coalesce(sum(bytes), 0) || ' bytes'
		  FROM model_deploy_internal._shared_models()
		 WHERE deploy_id NOT IN (SELECT deploy_id FROM accepted)});
}

# Mutations of each format's seed: overwrite, delete or repeat a random
# slice, or cut the model short.  One session per format: a crash would
# end it (and the test) at once.  Binary formats (UBJSON, ONNX) go through
# deploy(name, bytea, format), with the same mutations on bytes.  The
# seeds are committed files (test/fuzz/seeds, made by the make_*_seeds.py
# there); 'auto' is the format given to deploy() where detection is part
# of what is attacked.
my %seeds = (
	xgboost => [ $seed, 'text', 'auto' ],
	lightgbm => [ "$seeds_dir/lightgbm/categorical.txt", 'text', 'auto' ],
	ubjson => [ "$seeds_dir/xgboost-ubj/categorical.ubj", 'bytea', 'auto' ],
	onnx => [ "$seeds_dir/onnx/onnxmltools_lightgbm_multiclass.onnx", 'bytea', 'onnx' ],
	catboost => [ "$seeds_dir/catboost/depthwise.json", 'text', 'catboost' ]);
foreach my $format (sort keys %seeds)
{
	my ($file, $type, $given) = @{ $seeds{$format} };
	my ($read, $garbage, $cut, $thrice) = $type eq 'text'
	  ? ('pg_read_file', 'substr(md5(i::text), 1, n)', 'left(src, p)',
		 'repeat(substr(src, p, n), 3)')
	  : ('pg_read_binary_file', "decode(substr(md5(i::text), 1, 2 * n), 'hex')",
		 'substring(src FROM 1 FOR p)',
		 'substring(src FROM p FOR n) || substring(src FROM p FOR n) || substring(src FROM p FOR n)');
	my $name = "seed_$format";
	# the seed, scored once: its copy is in the store from now on
	$node->safe_psql('postgres',
		"SELECT model_deploy.deploy('$name', $read('$file'), '$given')");
	my $reference = $node->safe_psql('postgres', qq{
		SELECT model_deploy.predict_raw('$name', array_fill(1::float8,
			ARRAY[(SELECT n_features FROM model_deploy.model_version
					WHERE name = '$name')]))});
	my $store_before = store_use();
	my $out = $node->safe_psql('postgres', qq{
DO \$\$
DECLARE
	src $type := $read('$file');
	probe float8[] := array_fill(1::float8, ARRAY[(SELECT n_features
		FROM model_deploy.model_version WHERE name = '$name')]);
	m $type;
	p int;
	n int;
	v int;
BEGIN
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
		v := NULL;
		BEGIN
			v := model_deploy.deploy('$name', m, '$given');
			INSERT INTO outcomes VALUES ('deploy $format', 'ok');
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO outcomes VALUES ('deploy $format', SQLSTATE,
				'mutation ' || i || ': ' || SQLERRM);
		END;
		IF v IS NOT NULL THEN
			INSERT INTO accepted SELECT deploy_id FROM model_deploy.model_version
			 WHERE name = '$name' AND version = v;
			BEGIN
				PERFORM model_deploy.predict_raw('$name', probe);
				INSERT INTO outcomes VALUES ('score mutant $format', 'ok');
			EXCEPTION WHEN OTHERS THEN
				INSERT INTO outcomes VALUES ('score mutant $format', SQLSTATE,
					'mutation ' || i || ': ' || SQLERRM);
			END;
			PERFORM model_deploy.activate('$name', 1);
			PERFORM model_deploy.drop_version('$name', v);
		END IF;
		INSERT INTO outcomes
		SELECT 'seed serves $format',
			   CASE WHEN (SELECT version FROM model_deploy.model_version
						   WHERE name = '$name' AND active) = 1 AND
						 model_deploy.predict_raw('$name', probe)::text = '$reference'
					THEN 'ok' ELSE 'changed' END;
	END LOOP;
END
\$\$;
SELECT count(*) FROM outcomes WHERE what = 'deploy $format'});
	is($out, $mutations, "$mutations mutated $format models went through deploy()");
	is($node->safe_psql('postgres', qq{SELECT count(*) FILTER (WHERE sqlstate = 'ok') > 0,
			count(*) FILTER (WHERE sqlstate <> 'ok') > 0 FROM outcomes WHERE what = 'deploy $format'}),
		't|t', "some mutated $format models are accepted, some refused");
	is($node->safe_psql('postgres', qq{SELECT count(*) FILTER (WHERE sqlstate = 'ok')
			FROM outcomes WHERE what = 'seed serves $format'}),
		$mutations, "after each $format mutation, version 1 of the seed is active and scores as before");
	note "store before and after the $format battery, but for accepted mutants: "
	  . "$store_before; " . store_use();
	is(store_use(), $store_before,
		"the store holds what it held before the $format battery ($store_before), "
		  . "but for the accepted mutants' copies");
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
note $node->safe_psql('postgres', q{
	SELECT what || ' ' || sqlstate || ' ' || message FROM outcomes
	 WHERE sqlstate LIKE 'XX%'});	# none, or what went wrong
# hostile input is no internal error (XX000) nor corrupt data (XX001): the
# battery found a UBJSON mutation whose infinite sum_hessian compiled into
# a blob the validator refused (XX001); the parser refuses it now (22023)
is($node->safe_psql('postgres', q{SELECT count(*) FROM outcomes WHERE sqlstate LIKE 'XX%'}),
	'0', 'no statement failed with an internal error or as corrupt data');
my ($rc, $stdout, $stderr) = $node->psql('postgres', qq{
	SELECT model_deploy.deploy('bad_cover', regexp_replace(pg_read_file('$seed'),
		'"sum_hessian":\\[[^,]*', '"sum_hessian":[-1'))}, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($stderr, qr/ERROR:  22023: .*sum_hessian\[0\] is -1: a node's cover/,
	'a negative sum_hessian is refused with 22023, naming it');
is($node->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE sqlstate = 'ok') > 0,
		count(*) FILTER (WHERE sqlstate <> 'ok') > 0 FROM outcomes WHERE what = 'score'}),
	't|t', 'some feature arrays are scored, some refused');
# the backend and the models still work
is($node->safe_psql('postgres', q{SELECT model_deploy.predict('seed', ARRAY[1, 2, 3]) IS NOT NULL}),
	't', 'the seed model still scores');
unlike(slurp_file($node->logfile), qr/terminated by signal|was terminated/,
	'no backend crashed');

done_testing();
