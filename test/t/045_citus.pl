# model_deploy on a Citus cluster of three nodes on this machine (unix
# sockets): deploys, activations, drops and grants made on the coordinator
# reach every node in one distributed transaction, with the same version,
# deploy_id and source checksum; a node that is down makes the change fail
# everywhere; a node added later is refused until sync_node() copies the
# registry to it; distributed tables are scored exactly (XGBoost's own
# outputs, and the coordinator's scores of a local copy) by pinned UPDATEs,
# by score_table() per shard, by the trigger, and in joins with local
# tables; a distributed statement scores the one version active when the
# coordinator planned it, on every shard, even when an activate() commits
# while one shard's query is held back by a lock (prepared statements plan
# again; a version dropped or its number reused meanwhile is an error).
# Citus is not a Debian package: where citus.so is not installed
# the test reports itself skipped.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FixtureInputs;

my $coord = PostgreSQL::Test::Cluster->new('coordinator');
my $pkglibdir = $coord->config_data('--pkglibdir');
if (!-e "$pkglibdir/citus.so")
{
  SKIP:
	{
		skip "Citus is not installed ($pkglibdir/citus.so)", 1;
	}
	done_testing();
	exit 0;
}

my $fx = fixture_dir();
my $w1 = PostgreSQL::Test::Cluster->new('worker1');
my $w2 = PostgreSQL::Test::Cluster->new('worker2');
foreach my $node ($coord, $w1, $w2)
{
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'citus,model_deploy'
max_prepared_transactions = 20
citus.node_connection_timeout = 5000
cluster_name = '@{[ $node->name ]}'
});
}
$coord->start;
$w1->start;
$_->safe_psql('postgres', 'CREATE EXTENSION citus') foreach ($coord, $w1);
$coord->safe_psql('postgres', qq{
	SELECT citus_set_coordinator_host('@{[ $coord->host ]}', @{[ $coord->port ]});
	SELECT citus_add_node('@{[ $w1->host ]}', @{[ $w1->port ]});
	CREATE EXTENSION model_deploy;
});

# name|version|active|deploy_id|md5 of the source (text or bytes)[|metadata]
# of every version, on a node
sub registry
{
	my ($node) = @_;
	return $node->safe_psql('postgres', q{
		SELECT string_agg(concat_ws('|', name, version, active, deploy_id,
									md5(COALESCE(convert_to(source, 'UTF8'), source_binary)),
									metadata),
						  ' ' ORDER BY name, version)
		  FROM model_deploy.model_version});
}

is($w1->safe_psql('postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'model_deploy'"),
	'0.2', 'CREATE EXTENSION model_deploy reached the worker');

# --- deploy, activate, drop, grant: on every node --------------------------
is($coord->safe_psql('postgres',
		"SELECT model_deploy.deploy('bc', pg_read_file('$fx/bc_logistic.model.json'))"),
	'1', 'deploy on the coordinator');
my $reg = registry($coord);
like($reg, qr/^bc\|1\|t\|-?\d+\|[0-9a-f]{32}$/, 'the coordinator has version 1');
is(registry($w1), $reg, 'the worker has it with the same deploy_id and checksum');

$coord->safe_psql('postgres', qq{
	SELECT model_deploy.deploy('bc', pg_read_file('$fx/bc_basescore.model.json'));
	SELECT model_deploy.activate('bc', 1);
	SELECT model_deploy.grant_model('bc', 'public');
	SELECT model_deploy.revoke_model('bc', 'public');
	SELECT model_deploy.grant_model('bc', CURRENT_USER);
});
$reg = registry($coord);
like($reg, qr/^bc\|1\|t\|\S+ bc\|2\|f\|/, 'a second version, then version 1 active again');
is(registry($w1), $reg, 'the worker has the same versions, the same one active');
is($w1->safe_psql('postgres', 'SELECT name, roles FROM model_deploy.model_acl'),
	$coord->safe_psql('postgres', 'SELECT name, roles FROM model_deploy.model_acl'),
	'and the same scoring rights');

my ($rc, $out, $err) = $w1->psql('postgres',
	"SELECT model_deploy.deploy('bc', pg_read_file('$fx/bc_logistic.model.json'))");
like($err, qr/the model registry of a Citus worker changes only through the coordinator/,
	'a deploy on a worker is refused');
is(registry($w1), $reg, 'and changes nothing there');

# --- a node added later: refused until sync_node() -------------------------
$w2->start;
$w2->safe_psql('postgres', 'CREATE EXTENSION citus');
$coord->safe_psql('postgres',
	"SELECT citus_add_node('@{[ $w2->host ]}', @{[ $w2->port ]})");
is($w2->safe_psql('postgres',
		"SELECT count(*) FROM model_deploy.model_version"),
	'0', 'a node added later has the extension and an empty registry');
($rc, $out, $err) = $coord->psql('postgres', 'SELECT model_deploy.activate(\'bc\', 2)');
like($err, qr/version 1 of model "bc" \(deploy_id -?\d+\) is missing on node worker2.*sync_node/s,
	'a change of the model fails while a node lacks its versions, naming the node');
is(registry($coord), $reg, 'and changes nothing on the coordinator');
is($coord->safe_psql('postgres',
		"SELECT model_deploy.sync_node('@{[ $w2->host ]}', @{[ $w2->port ]})"),
	'1', 'sync_node() copies the registry (1 model)');
is(registry($w2), $reg, 'the new node has every version, with the same deploy_ids');

# --- a node down: nothing changes anywhere ---------------------------------
$w2->stop;
($rc, $out, $err) = $coord->psql('postgres',
	"SELECT model_deploy.deploy('bc', pg_read_file('$fx/bc_logistic.model.json'))");
like($err, qr/could not be applied on every Citus node, so it is made on none/,
	'a deploy while a worker is down fails');
like($err, qr/connection to the remote node/, 'saying which node could not be reached');
is(registry($coord), $reg, 'the coordinator is unchanged');
is(registry($w1), $reg, 'the other worker is unchanged');
($rc, $out, $err) = $coord->psql('postgres', 'SELECT model_deploy.drop_version(\'bc\', 2)');
like($err, qr/could not be applied on every Citus node/, 'so is a drop_version()');
$w2->start;
is(registry($w2), $reg, 'the worker that was down is unchanged too');

$coord->safe_psql('postgres', 'SELECT model_deploy.drop_version(\'bc\', 2)');
$reg = registry($coord);
like($reg, qr/^bc\|1\|t\|\S+$/, 'drop_version() on the coordinator');
is(join(' ', registry($w1), registry($w2)), "$reg $reg", 'reaches every node');

# --- a model given as bytes, with metadata ---------------------------------
$coord->safe_psql('postgres', qq{
	SELECT model_deploy.deploy('bcb',
		convert_to(pg_read_file('$fx/bc_logistic.model.json'), 'UTF8'), 'auto',
		'{"run": "r1"}')});
my $with_bytes = registry($coord);
like($with_bytes, qr/ bcb\|1\|t\|-?\d+\|[0-9a-f]{32}\|\{"run": "r1"\}$/,
	'a model deployed as bytea, with metadata');
is(join(' ', registry($w1), registry($w2)), "$with_bytes $with_bytes",
	'reaches every node with the same bytes and metadata');
is($w2->safe_psql('postgres', q{
		SELECT model_deploy.predict_raw('bcb', f) = model_deploy.predict_raw('bc', f)
		  FROM (SELECT array_fill(0.5::float8, ARRAY[n_features]) AS f
				  FROM model_deploy.model_version WHERE name = 'bc') s}),
	't', 'and scores there as the text deploy of the same model does');
$coord->safe_psql('postgres', "SELECT model_deploy.drop_model('bcb')");
is(join(' ', registry($w1), registry($w2)), "$reg $reg", 'its drop reaches every node');

# --- distributed tables ----------------------------------------------------
# the fixture's 200 rows, 50 times: 10,000 rows in 32 shards; XGBoost's
# margins and probabilities for them in a local table
my @features = load_inputs($coord, 'bc_in', 'bc_logistic');
my $array = 'ARRAY[' . join(', ', @features) . ']::float8[]';
$coord->safe_psql('postgres', qq{
	CREATE TABLE xgb (id serial, m0 float8, p0 float8);
	COPY xgb (m0, p0) FROM '$fx/bc_logistic.expected.csv' WITH (FORMAT csv, HEADER);
	CREATE TABLE pts AS
		SELECT r * 1000 + b.id AS pid, b.*, $array AS f,
			   NULL::float8 AS score, NULL::float8[] AS proba,
			   NULL::float8[] AS raw, NULL::text AS class
		  FROM bc_in b, generate_series(0, 49) r;
	CREATE TABLE local_pts AS SELECT * FROM pts;
	SELECT create_distributed_table('pts', 'pid');
	SELECT truncate_local_data_after_distributing_table('pts');
});
is($coord->safe_psql('postgres',
		"SELECT count(*), count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'pts'::regclass"),
	'32|2', 'pts is distributed in 32 shards on the two workers');

is($coord->safe_psql('postgres', q{
	SELECT count(*), count(*) FILTER (WHERE model_deploy.predict('bc', p.f) = x.p0),
		   count(*) FILTER (WHERE model_deploy.predict('bc', p) = x.p0)
	  FROM pts p JOIN xgb x ON x.id = p.id}),
	'10000|10000|10000',
	'a distributed table joined with a local one: every score is XGBoost\'s, by array and by row');
is($coord->safe_psql('postgres', q{
	SELECT count(*) FROM pts p JOIN local_pts l USING (pid)
	 WHERE model_deploy.predict('bc', p.f) = model_deploy.predict('bc', l.f)}),
	'10000', 'and equal to the coordinator\'s scores of a local copy');

($rc, $out, $err) = $coord->psql('postgres',
	"UPDATE pts SET score = model_deploy.predict('bc', f)");
like($err, qr/STABLE functions used in UPDATE queries cannot be called with column references/,
	'Citus refuses predict() (STABLE) in a distributed UPDATE');
is($coord->safe_psql('postgres', q{
	UPDATE pts SET score = model_deploy.predict_pinned('bc', 1, f),
				   proba = model_deploy.predict_proba_pinned('bc', 1, pts),
				   raw = model_deploy.predict_raw_pinned('bc', 1, f),
				   class = model_deploy.predict_class_pinned('bc', 1, pts);
	SELECT count(*) FILTER (WHERE p.score = x.p0),
		   count(*) FILTER (WHERE p.proba[2] = x.p0 AND p.proba[1] = 1 - x.p0),
		   count(*) FILTER (WHERE p.raw[1] = x.m0),
		   count(*) FILTER (WHERE p.class = (x.p0 > 0.5)::int::text)
	  FROM pts p JOIN xgb x ON x.id = p.id}),
	'10000|10000|10000|10000',
	'the pinned UPDATE scores every row exactly: predict, proba, raw, class');

# score_table() per shard, tracked on the coordinator
$coord->safe_psql('postgres', 'UPDATE pts SET score = NULL WHERE pid % 3 = 0');
my $todo = $coord->safe_psql('postgres', 'SELECT count(*) FROM pts WHERE score IS NULL');
my $notices;
$coord->psql('postgres',
	"CALL model_deploy.score_table('pts', 'bc', 'score', batch_size => 1500)",
	stderr => \$notices, on_error_die => 1);
like($notices, qr/job \d+: $todo rows of pts to score with version 1 of bc, 32 shards on 2 nodes/,
	'score_table() on a distributed table: per shard');
like($notices, qr/of 32 shards/, 'reporting progress shard by shard');
is($coord->safe_psql('postgres', q{
	SELECT state, rows_done, rows_total, percent FROM model_deploy.batch_jobs
	 ORDER BY job_id DESC LIMIT 1}),
	"done|$todo|$todo|100.0", 'batch_jobs on the coordinator shows the whole job');
is($coord->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE p.score = x.p0) FROM pts p JOIN xgb x ON x.id = p.id}),
	'10000', 'every row scored exactly');

# the trigger: Citus wants citus.enable_unsafe_triggers
my $trigger = q{CREATE TRIGGER score BEFORE INSERT ON pts FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('bc', 'score')};
($rc, $out, $err) = $coord->psql('postgres', $trigger);
like($err, qr/triggers are not supported on distributed tables/,
	'score_trigger on a distributed table needs citus.enable_unsafe_triggers');
$coord->safe_psql('postgres', qq{
	SET citus.enable_unsafe_triggers = on;
	$trigger;
	INSERT INTO pts SELECT 1000000 + b.id, b.*, $array FROM bc_in b;
});
is($coord->safe_psql('postgres', q{
	SELECT count(*), count(*) FILTER (WHERE p.score = x.p0)
	  FROM pts p JOIN xgb x ON x.id = p.id WHERE p.pid > 1000000}),
	'200|200', 'with it on, the trigger scores rows inserted into the shards exactly');

# statistics: counted where the rows were scored, gathered on the coordinator
is($coord->safe_psql('postgres', q{
	SELECT count(DISTINCT node_port), bool_and(rows > 0)
	  FROM model_deploy.cluster_stats() WHERE name = 'bc' AND node_name IS NOT NULL
	   AND node_port <> (SELECT setting::int FROM pg_settings WHERE name = 'port')}),
	'2|t', 'cluster_stats() shows what each worker served');

# a baseline set on the coordinator is every node's
my $baseline = q{SELECT string_agg(concat_ws('|', name, version, position, feature,
		baseline_id, missing_rate, mean, stddev, edges, shares), ' ' ORDER BY position)
	  FROM model_deploy.baseline_features};
$coord->safe_psql('postgres',
	"SELECT count(*) FROM model_deploy.set_baseline('bc', 'SELECT * FROM bc_in')");
my $bl = $coord->safe_psql('postgres', $baseline);
like($bl, qr/^bc\|1\|0\|\(prediction\)/, 'set_baseline() on the coordinator');
is(join(' ', $w1->safe_psql('postgres', $baseline), $w2->safe_psql('postgres', $baseline)),
	"$bl $bl", 'the workers have the same baseline');

# --- one version per distributed statement --------------------------------
# Version 2 (another model) next to version 1; the coordinator pins the
# version active when a statement is planned into the shard queries.
$coord->safe_psql('postgres', qq{
	SELECT model_deploy.deploy('bc', pg_read_file('$fx/bc_basescore.model.json'));
	SELECT model_deploy.activate('bc', 1);
});
# how many rows each output scores as version $v does (on the workers)
sub scored_as
{
	my ($v) = @_;
	return qq{SELECT count(*),
		count(*) FILTER (WHERE model_deploy.predict('bc', f) = model_deploy.predict_pinned('bc', $v, f)),
		count(*) FILTER (WHERE model_deploy.predict('bc', p) = model_deploy.predict_pinned('bc', $v, f)),
		count(*) FILTER (WHERE model_deploy.predict_proba('bc', f) = model_deploy.predict_proba_pinned('bc', $v, f)),
		count(*) FILTER (WHERE model_deploy.predict_raw('bc', f::float4[]) = model_deploy.predict_raw_pinned('bc', $v, f::float4[]::float8[])),
		count(*) FILTER (WHERE model_deploy.predict_class('bc', p) = model_deploy.predict_class_pinned('bc', $v, f))
	  FROM pts p};
}
my $total = $coord->safe_psql('postgres', 'SELECT count(*) FROM pts');
my $all = join('|', ($total) x 6);
isnt($coord->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE model_deploy.predict_pinned('bc', 1, f) = model_deploy.predict_pinned('bc', 2, f)) FROM pts}),
	$total, 'the two versions score differently');
is($coord->safe_psql('postgres', scored_as(1)), $all,
	'a distributed SELECT scores the active version: array, row, proba, float4[] raw, class');
like($coord->safe_psql('postgres',
		"EXPLAIN (VERBOSE, COSTS OFF) SELECT model_deploy.predict('bc', f) FROM pts"),
	qr/_predict_at\('bc'::text, 1, f, '?-?\d+'?(::bigint)?\)/,
	'the shard query carries the version and its deploy_id');
is($coord->safe_psql('postgres', q{
	SELECT count(*) FROM pts p JOIN local_pts l USING (pid)
	 WHERE model_deploy.predict_raw('bc', p.f) = model_deploy.predict_raw_pinned('bc', 1, l.f)}),
	'10000', 'the pinned shard scores equal the single-node scores of a local copy');

# A shard locked on worker1 holds one shard query back while activate()
# commits everywhere: that shard must still score version 1.
my $shard = $coord->safe_psql('postgres', qq{
	SELECT shard_name FROM citus_shards
	 WHERE table_name = 'pts'::regclass AND nodeport = @{[ $w1->port ]} LIMIT 1});
sub hold_shard_while
{
	my ($sql, @changes) = @_;
	my $locker = $w1->background_psql('postgres');
	# Citus refuses direct changes to shards (a LOCK is one) without this
	$locker->query_safe("SET citus.enable_manual_changes_to_shards = on; BEGIN; LOCK TABLE $shard IN ACCESS EXCLUSIVE MODE;");
	my $reader = $coord->background_psql('postgres', on_error_stop => 0);
	$reader->query_until(qr/reading/, "\\echo reading\n$sql;\n");
	$w1->poll_query_until('postgres', qq{
		SELECT EXISTS (SELECT FROM pg_locks WHERE relation = '$shard'::regclass AND NOT granted)})
	  or die 'the shard query did not wait';
	$coord->safe_psql('postgres', $_) foreach @changes;
	$locker->query_safe('COMMIT;');
	$locker->quit;
	my $out = $reader->query('SELECT 1');
	my $stderr = $reader->{stderr};
	$reader->quit;
	$out =~ s/\n1$//;
	return ($out, $stderr);
}
my ($held, $held_err) = hold_shard_while(scored_as(1), "SELECT model_deploy.activate('bc', 2)");
is($held, $all, 'an activate() committed during the statement: every shard scored version 1');
is($coord->safe_psql('postgres', scored_as(2)), $all, 'the next statement scores version 2');

# a prepared statement plans again after activate()
my $prep = $coord->background_psql('postgres');
$prep->query_safe("PREPARE scored AS @{[ scored_as(2) ]};");
is($prep->query_safe('EXECUTE scored;'), $all, 'a prepared statement scores version 2');
is($prep->query_safe('EXECUTE scored;'), $all, 'and again from its cached plan');
$coord->safe_psql('postgres', "SELECT model_deploy.activate('bc', 1)");
# (versions 1 and 2 agree on most classes: the last count is not 0)
my $replanned = $prep->query_safe('EXECUTE scored;');
like($replanned, qr/^$total\|0\|0\|0\|0\|\d+$/,
	'after activate(1) in another session, it scores version 1: planned again');
is($replanned, $coord->safe_psql('postgres', scored_as(2)),
	'as a new statement does');
$prep->quit;

# a version dropped while the statement runs: an error naming it
$coord->safe_psql('postgres', "SELECT model_deploy.activate('bc', 2)");
my ($dropped, $dropped_err) = hold_shard_while(
	"SELECT sum(model_deploy.predict('bc', f)) FROM pts",
	"SELECT model_deploy.activate('bc', 1)", "SELECT model_deploy.drop_version('bc', 2)");
like($dropped_err, qr/version 2 of model "bc" does not exist/,
	'a version dropped during the statement is an error naming it, not another answer');

# its number reused by a new deploy: an error naming both deploy_ids
my $d2 = $coord->safe_psql('postgres', q{
	SELECT model_deploy.deploy('bc', pg_read_file('} . "$fx/bc_basescore.model.json" . q{'));
	SELECT deploy_id FROM model_deploy.model_version WHERE name = 'bc' AND version = 2});
$d2 =~ s/.*\n//s;		# the deploy's own output: its version number
my ($reused, $reused_err) = hold_shard_while(
	"SELECT sum(model_deploy.predict('bc', f)) FROM pts",
	"SELECT model_deploy.activate('bc', 1)", "SELECT model_deploy.drop_version('bc', 2)",
	"SELECT model_deploy.deploy('bc', pg_read_file('$fx/bc_basescore.model.json'))");
like($reused_err,
	qr/version 2 of model "bc" is not the version this statement resolved.*planned with version 2 as deploy_id $d2; version 2 here is deploy_id -?\d+/s,
	'a version number reused during the statement is an error naming both deploy_ids');

# pinned calls count in the statistics of the nodes that scored them
my $stats = q{SELECT coalesce(sum(rows), 0) FROM model_deploy.cluster_stats()
	WHERE name = 'bc' AND version = 2 AND node_port <> current_setting('port')::int};
my $before = $coord->safe_psql('postgres', $stats);
$coord->safe_psql('postgres', "SELECT sum(model_deploy.predict('bc', f)) FROM pts");
is($coord->safe_psql('postgres', $stats) - $before, $total,
	'cluster_stats() counts every pinned row scored on the workers');
$coord->safe_psql('postgres', "SELECT model_deploy.activate('bc', 1); SELECT model_deploy.drop_version('bc', 2)");

# the registry is still the same everywhere
$reg = registry($coord);
is(join(' ', registry($w1), registry($w2)), "$reg $reg", 'registries still equal');

$coord->safe_psql('postgres', q{
	SET citus.enable_unsafe_triggers = on;
	DROP TRIGGER score ON pts;
	SELECT model_deploy.drop_model('bc')});
is(join('', map { registry($_), $_->safe_psql('postgres', $baseline) } ($coord, $w1, $w2)),
	'', 'drop_model() removes the model and its baseline on every node');

$_->stop foreach ($w2, $w1, $coord);
done_testing();
