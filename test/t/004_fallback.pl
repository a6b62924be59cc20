# When there is no shared copy, a backend compiles its own and says why,
# once: a version larger than model_deploy.shared_memory (WARNING once per
# version per connection), model_deploy not in shared_preload_libraries, or
# model_deploy.shared_memory = 0 (NOTICE once per connection).  Scores are
# the same either way.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MdTest;

my $node = md_node('fallback', preload => 0);
$node->start;
$node->safe_psql('postgres', setup_checks_sql()
	  . load_fixture_sql('diabetes_reg') . load_fixture_sql('iris_softprob'));
my $diab = fixture_file('diabetes_reg', 'model.json');
my $iris = fixture_file('iris_softprob', 'model.json');
$node->safe_psql('postgres',
	"SELECT model_deploy.deploy('big', pg_read_file('$diab')),
			model_deploy.deploy('small', pg_read_file('$iris'))");

# psql prefixes the first line of a message read from stdin with its place
my $from = qr/(?:psql:<stdin>:\d+: )?/;

# count the lines of 'text' that match 're'
sub count_of
{
	my ($text, $re) = @_;
	return scalar(() = $text =~ /$re/g);
}

# a session that scores both models twice; returns (stdout, stderr)
sub score_twice
{
	my ($extra) = @_;
	my ($out, $err);
	$node->psql('postgres', "
		SELECT md_check('big', 'diabetes_reg');
		SELECT md_check('small', 'iris_softprob');
		SELECT md_check('big', 'diabetes_reg');
		SELECT md_check('small', 'iris_softprob');
		SELECT scope, compiles, shared_hits, local_copies
		  FROM model_deploy.store_stats() ORDER BY scope;
		$extra",
		stdout => \$out, stderr => \$err, on_error_stop => 1);
	return ($out, $err);
}

# 1. not in shared_preload_libraries
my ($out, $err) = score_twice("SELECT count(*) FROM model_deploy.shared_models;
	 SELECT bool_or(in_shared_memory) FROM model_deploy.models;");
is($out, "200\n150\n200\n150\nbackend|2|0|2\n0\nf",
	'without preloading, a connection compiles its own copies and scores the same');
is(count_of($err, qr/^${from}NOTICE:  model_deploy is not in shared_preload_libraries: each connection compiles and keeps its own copy of the models it uses$/m),
	1, 'it says so once');
like($err, qr/^HINT:  Add model_deploy to shared_preload_libraries and restart the server/m,
	'with a hint');
is(count_of($err, qr/^${from}(WARNING|NOTICE|ERROR)/m), 1, 'and nothing else');
my ($ret) = $node->psql('postgres',
	"SELECT md_check('small', 'iris_softprob'); SHOW model_deploy.shared_memory");
isnt($ret, 0, 'model_deploy.shared_memory does not exist without preloading');

# 2. a model larger than the whole store
$node->stop;
$node->adjust_conf('postgresql.conf', 'shared_preload_libraries', "'model_deploy'");
$node->append_conf('postgresql.conf', "model_deploy.shared_memory = '256kB'");
$node->start;
is( $node->safe_psql(
		'postgres', "SELECT compiled_bytes > 256 * 1024 FROM model_deploy.models WHERE name = 'big'"),
	't',
	'"big" compiles to more than model_deploy.shared_memory (256kB)');
($out, $err) = score_twice(
	"SELECT name, in_shared_memory FROM model_deploy.models ORDER BY name;
	 SELECT string_agg(name, ',') FROM model_deploy.shared_models;");
is($out, "200\n150\n200\n150\nbackend|2|1|1\nserver|1|1|1\nbig|f\nsmall|t\nsmall",
	'both score as XGBoost does; "big" is this backend\'s own copy, "small" is shared');
is(count_of($err, qr/^${from}WARNING:  version 1 of model "big" is too large for shared memory: this connection keeps its own copy$/m),
	1, 'one WARNING for the model that does not fit');
like($err, qr/^DETAIL:  It takes \d+ bytes compiled; model_deploy.shared_memory is 256 kB.$/m,
	'it says how large the model is');
like($err, qr/^HINT:  Raise model_deploy.shared_memory and restart the server.$/m,
	'and what to do');
is(count_of($err, qr/^${from}(WARNING|NOTICE|ERROR)/m), 1, 'nothing else is said');
($out, $err) = score_twice('');
is(count_of($err, qr/^${from}WARNING:  version 1 of model "big" is too large/m), 1,
	'another connection is told once too');
like($out, qr/^backend\|1\|2\|1$/m,
	'it compiles its own copy of "big" and maps the shared "small"');

# 3. preloaded, but model_deploy.shared_memory = 0
$node->stop;
$node->adjust_conf('postgresql.conf', 'model_deploy.shared_memory', '0');
$node->start;
($out, $err) = score_twice('');
like($out, qr/^200\n150\n200\n150\nbackend\|2\|0\|2$/, 'with model_deploy.shared_memory = 0 too');
is(count_of($err, qr/^${from}NOTICE:  model_deploy.shared_memory is 0: each connection compiles and keeps its own copy/m),
	1, 'and it says so once');

# 4. a size too small to hold anything is refused: like every setting of
# an extension, the server then warns and keeps the default
$node->stop;
$node->adjust_conf('postgresql.conf', 'model_deploy.shared_memory', "'100kB'");
my $log_offset = -s $node->logfile;
$node->start;
ok($node->log_contains(qr/WARNING:  invalid value for parameter "model_deploy.shared_memory": 100/, $log_offset),
	'model_deploy.shared_memory = 100kB is refused at start');
ok($node->log_contains(qr/DETAIL:  model_deploy.shared_memory must be 0 \(off\) or at least 128 kB/, $log_offset),
	'and the log says why');
is($node->safe_psql('postgres', 'SHOW model_deploy.shared_memory'), '256MB',
	'the default is used instead');

$node->stop;
done_testing();
