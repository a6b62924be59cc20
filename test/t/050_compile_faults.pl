# Faults while a version is compiled, published or stored (issue 20):
#   1. a cancel and a statement_timeout in the middle of compiling a 64 MB
#      model: the compile stops within a fraction of its full time, with
#      SQLSTATE 57014;
#   2. the shared store exhausted while a version is published (every
#      resident version pinned by open cursors): the new version is scored
#      from a backend-local copy, exactly;
#   3. the disk full while the registry row is written (the registry's
#      table moved to a tablespace on a tiny tmpfs that test/run mounts as
#      root; skipped without it): ERROR 53100.
# After each: the previous version still serves, the next deploy works,
# and the store holds as many versions as it did before the faults — a
# leaked or half-built blob would take room from it.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use MdTest;

my $node = md_node('compile_faults',
	conf => "model_deploy.shared_memory = '2MB'\n"
	  . "model_deploy.max_model_size = '256MB'\n");
$node->start;
$node->safe_psql('postgres',
	setup_checks_sql() . load_fixture_sql('deep_reg') . load_fixture_sql('iris_softprob'));
my $deep = fixture_file('deep_reg', 'model.json');
my $iris = fixture_file('iris_softprob', 'model.json');

# A model of about $mb MB: deep_reg's trees repeated.  Its scores differ
# from deep_reg's; only its size matters here.
sub big_model_file
{
	my ($mb) = @_;
	open my $in, '<', $deep or die "$deep: $!";
	my $model = decode_json(do { local $/; <$in> });
	close $in;
	my $booster = $model->{learner}{gradient_booster}{model};
	my @trees = map { encode_json($_) } @{ $booster->{trees} };
	my $per_tree = length(join('', @trees)) / @trees;
	my $n = int($mb * 1024 * 1024 / $per_tree);
	$booster->{trees} = ['@TREES@'];
	$booster->{tree_info} = [ (0) x $n ];
	$booster->{gbtree_model_param}{num_trees} = "$n";
	my $text = encode_json($model);
	my $body = join(',', map {
		(my $t = $trees[ $_ % @trees ]) =~ s/"id":\d+/"id":$_/;
		$t } 0 .. $n - 1);
	$text =~ s/"\@TREES\@"/$body/;
	my $file = PostgreSQL::Test::Utils::tempdir() . "/big_$mb.json";
	open my $out, '>', $file or die "$file: $!";
	print $out $text;
	close $out;
	return ($file, $n);
}

# How many of twelve versions of deep_reg the store holds after each is
# loaded in turn (least recently used evicted): the store's capacity.
$node->safe_psql('postgres',
	join('', map { "SELECT model_deploy.deploy('cap_$_', pg_read_file('$deep'));\n" } 1 .. 12));
sub store_capacity
{
	return $node->safe_psql('postgres',
		join('', map { "SELECT md_check('cap_$_', 'deep_reg');\n" } 1 .. 12)
		  . "SELECT count(*) FROM model_deploy.shared_models WHERE name LIKE 'cap\\_%';")
	  =~ s/.*\n//sr;
}
my $capacity = store_capacity();
cmp_ok($capacity, '>=', 3, "the store holds $capacity versions of deep_reg");
cmp_ok($capacity, '<', 12, '... and not all twelve (eviction is exercised)');

# The previous version of 'm' (iris) serves, and a new deploy works.
sub check_after
{
	my ($when, $version) = @_;
	is( $node->safe_psql('postgres',
			"SELECT version FROM model_deploy.models WHERE name = 'm'; SELECT md_check('m', 'iris_softprob')"),
		"$version\n150",
		"$when: version $version of m still active and scoring as XGBoost does");
	is(store_capacity(), $capacity, "$when: the store still holds $capacity versions");
}
$node->safe_psql('postgres', "SELECT model_deploy.deploy('m', pg_read_file('$iris'))");
is($node->safe_psql('postgres', "SELECT md_check('m', 'iris_softprob')"), '150', 'm scores');

# ----------------------------------------------------------------------
# 1. cancel and statement_timeout during a 64 MB compile

my ($big, $trees) = big_model_file(64);
note sprintf('big model: %d trees, %.1f MB', $trees, (-s $big) / 1048576);

# a whole compile of it, for the yardstick (_compile only: no registry row)
my $t0 = time;
my $compiled = $node->safe_psql('postgres',
	"SELECT n_trees FROM model_deploy_internal._compile('big', pg_read_file('$big'), 'auto')");
my $full = time - $t0;
is($compiled, $trees, sprintf('the 64 MB model compiles whole (%d trees, %.2f s)', $trees, $full));

my ($stdout, $stderr);
my $session = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $session->query_safe('SELECT pg_backend_pid()');
$session->query_safe('\set VERBOSITY verbose');
$session->query_until(qr/compiling/,
	"\\echo compiling\nSELECT model_deploy.deploy('m', pg_read_file('$big'));\n");
ok( $node->poll_query_until('postgres',
		"SELECT state = 'active' AND query LIKE '%deploy%' FROM pg_stat_activity WHERE pid = $pid"),
	'a deploy of the 64 MB model runs');
sleep($full / 4);
$t0 = time;
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
my $out = $session->query('SELECT 1');
my $after_cancel = time - $t0;
like($session->{stderr}, qr/57014: canceling statement due to user request/,
	'the cancel ends it with 57014');
cmp_ok($after_cancel, '<', $full / 2,
	sprintf('%.2f s after the cancel (a whole compile takes %.2f s)', $after_cancel, $full));
$session->{stderr} = '';
check_after('after the cancel', 1);

my $timeout_ms = int($full * 1000 / 4) + 1;
$t0 = time;
$session->query("SET statement_timeout = $timeout_ms");
$session->query("SELECT model_deploy.deploy('m', pg_read_file('$big'))");
my $took = time - $t0;
like($session->{stderr}, qr/57014: canceling statement due to statement timeout/,
	"statement_timeout = $timeout_ms ms ends it with 57014");
cmp_ok($took, '<', $full * 3 / 4,
	sprintf('after %.2f s (a whole compile takes %.2f s)', $took, $full));
$session->query('RESET statement_timeout');
$session->quit;
check_after('after the timeout', 1);
is($node->safe_psql('postgres', "SELECT model_deploy.deploy('m', pg_read_file('$iris'))"),
	'2', 'the next deploy works (version 2)');

# ----------------------------------------------------------------------
# 2. the store exhausted while a version is published

# every resident version pinned by a cursor, so nothing can be evicted
store_capacity();
my @holders = map { open_cursor($node, 'predict', "cap_$_", 'deep_reg') }
  (12 - $capacity + 1) .. 12;
my $log_offset = -s $node->logfile;
$node->psql('postgres',
	"SELECT model_deploy.deploy('m', pg_read_file('$deep')); SELECT md_check('m', 'deep_reg')",
	stdout => \$stdout, stderr => \$stderr);
is($stdout, "3\n200", 'with the store full of pinned versions, version 3 of m still scores as XGBoost does');
like($stderr, qr/WARNING:  no room in shared memory for version 3 of model "m": this connection keeps its own copy/,
	'... from a local copy, with a WARNING saying why')
  or diag $stderr;
$_->quit foreach @holders;
is($node->safe_psql('postgres', "SELECT model_deploy.activate('m', 2)"), '', 'version 2 active again');
check_after('after the store was exhausted', 2);

# ----------------------------------------------------------------------
# 3. the disk full while the registry row is written

SKIP:
{
	my $tiny = $ENV{MD_TINY_FS};
	skip 'no tiny file system (test/run mounts one as root: MD_TINY_FS)', 5
	  unless $tiny && -d $tiny && -w $tiny;
	my $dir = "$tiny/" . $node->name;
	mkdir $dir or die "$dir: $!";
	$node->safe_psql('postgres', qq{
		CREATE TABLESPACE tiny LOCATION '$dir';
		ALTER TABLE model_deploy.model_version SET TABLESPACE tiny;});
	# incompressible enough: 64 MB of trees compress to more than the mount
	$node->psql('postgres', "SELECT model_deploy.deploy('m', pg_read_file('$big'))",
		stdout => \$stdout, stderr => \$stderr,
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($stderr, qr/53100: could not (?:extend|write)/, 'a deploy that fills the disk fails with 53100')
	  or diag $stderr;
	check_after('after the disk was full', 2);
	# space comes back as a DBA would bring it: the table moves to a disk
	# that has room (VACUUM cannot run on the full one: it too must write)
	$node->safe_psql('postgres', 'ALTER TABLE model_deploy.model_version SET TABLESPACE pg_default;
		DROP TABLESPACE tiny;');
	is($node->safe_psql('postgres', "SELECT model_deploy.deploy('m', pg_read_file('$iris'))"),
		'4', 'with room again the next deploy works (version 4)');
	is($node->safe_psql('postgres', "SELECT md_check('m', 'iris_softprob')"), '150', 'and scores');
}

done_testing();
