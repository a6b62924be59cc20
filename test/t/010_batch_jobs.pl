# model_deploy.score_table() as other sessions see it: progress in
# model_deploy.batch_jobs while the job runs, cancellation with
# pg_cancel_backend() losing only the chunk in flight, a rerun that scores
# every row exactly once, the progress NOTICEs, and the job's version kept
# from drop_version() while it runs.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FixtureInputs;

my $fx = fixture_dir();
my $node = PostgreSQL::Test::Cluster->new('batch');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'model_deploy'");
$node->start;

# accounts: 2000 copies of bc_logistic's input rows, about 10 to a page;
# a trigger counts each row's updates and makes each take 1 ms
$node->safe_psql('postgres', qq{
	CREATE EXTENSION model_deploy;
	SELECT model_deploy.deploy('bc', pg_read_file('$fx/bc_logistic.model.json'));
});
load_inputs($node, 'patients', 'bc_logistic');
$node->safe_psql('postgres', q{
	CREATE TABLE accounts AS
		SELECT p.*, repeat('x', 600) AS pad, 0 AS times, NULL::float8 AS risk
		  FROM generate_series(1, 2000) g JOIN patients p ON p.id = 1 + g % 200;
	CREATE FUNCTION count_update() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		NEW.times := OLD.times + 1;
		PERFORM pg_sleep(0.001);
		RETURN NEW;
	END
	$$;
	CREATE TRIGGER count_update BEFORE UPDATE ON accounts
		FOR EACH ROW EXECUTE FUNCTION count_update();
});

# start a job in another session, watch it, cancel it
my $job = $node->background_psql('postgres', on_error_stop => 0);
$job->query_until(qr/started/,
	"\\echo started\nCALL model_deploy.score_table('accounts', 'bc', 'risk', 100);\n");
ok( $node->poll_query_until('postgres', q{
	SELECT rows_done >= 300 FROM model_deploy.batch_jobs
	 WHERE job_id = 1 AND state = 'running'}),
	'another session sees the job running, its progress growing');
# a new version, deployed while the job runs, is not the job's
$node->safe_psql('postgres', qq{
	SELECT model_deploy.deploy('bc', pg_read_file('$fx/bc_basescore.model.json'))});
my $then = $node->safe_psql('postgres',
	'SELECT rows_done FROM model_deploy.batch_jobs WHERE job_id = 1');
ok( $node->poll_query_until('postgres', qq{
	SELECT rows_done >= $then + 200 FROM model_deploy.batch_jobs WHERE job_id = 1}),
	'the job goes on after the redeploy');
my $pid = $node->safe_psql('postgres',
	'SELECT pid FROM model_deploy.batch_jobs WHERE job_id = 1');
is( $node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)"),
	't', 'cancel the job');
ok( $node->poll_query_until('postgres', q{
	SELECT state = 'interrupted' FROM model_deploy.batch_jobs WHERE job_id = 1}),
	'the job shows as interrupted');
$job->query('SELECT 1');
like($job->{stderr}, qr/canceling statement due to user request/,
	'the CALL was cancelled');
$job->quit;

my ($done, $total) = split /\|/, $node->safe_psql('postgres',
	'SELECT rows_done, rows_total FROM model_deploy.batch_jobs WHERE job_id = 1');
ok($done > 0 && $done < $total, "stopped midway ($done of $total rows)");
is( $node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE risk IS NOT NULL), count(*) FILTER (WHERE times = 1),
		   count(*) FILTER (WHERE times > 1),
		   count(*) FILTER (WHERE risk = model_deploy.predict_pinned('bc', 1, a))
	  FROM accounts a}),
	"$done|$done|0|$done",
	'exactly the committed chunks are scored, each row once, all by version 1');

# rerun: it goes on where it stopped
my ($stdout, $stderr);
$node->psql('postgres',
	"CALL model_deploy.score_table('accounts', 'bc', 'risk', 100)",
	stdout => \$stdout, stderr => \$stderr, on_error_die => 1);
is( $node->safe_psql('postgres', q{
	SELECT count(*), count(*) FILTER (WHERE times = 1),
		   count(*) FILTER (WHERE risk = model_deploy.predict_pinned('bc', 1, a)),
		   count(*) FILTER (WHERE risk = model_deploy.predict('bc', a))
	  FROM accounts a}),
	"2000|2000|$done|" . (2000 - $done),
	'after the rerun every row is scored, once: the rest by the active version 2');
is( $node->safe_psql('postgres', q{
	SELECT state, rows_done, rows_total FROM model_deploy.batch_jobs WHERE job_id = 2}),
	'done|' . ($total - $done) . '|' . ($total - $done),
	'the rerun scored the rest');

# its NOTICEs: the plan, then one line per chunk
my @lines = grep { /NOTICE/ } split /\n/, $stderr;
like($lines[0],
	qr/^psql:<stdin>:1: NOTICE:  score_table job 2: @{[$total - $done]} rows of public.accounts to score with version 2 of bc, \d+ pages$/,
	'first NOTICE: what the job will do');
my $format = qr/NOTICE:  score_table job 2: (\d+) of (\d+) rows \((\d+\.\d)%\), (\d+) rows\/s, ETA (\d+:\d\d:\d\d|unknown|done)$/;
my @chunks = map { [ /$format/ ] } @lines[ 1 .. $#lines ];
is(scalar(grep { @$_ == 0 } @chunks), 0, 'every chunk NOTICE has the format')
  or diag explain \@lines;
is($chunks[-1][0], $total - $done, 'the last NOTICE counts every row');
is($chunks[-1][2], '100.0', 'the last NOTICE says 100%');
is($chunks[-1][4], 'done', 'the last NOTICE says done');
# before the first row is scored the rate, and so the ETA, is unknown
ok( !grep({ ($_->[0] > 0) != ($_->[4] =~ /^\d+:\d\d:\d\d$/) }
		@chunks[ 0 .. $#chunks - 1 ]),
	'the other NOTICEs give an ETA once rows are scored');
# the first chunks skip what the cancelled job scored; the chunks that
# score hold about batch_size rows
my @sizes;
for my $i (1 .. $#chunks)
{
	push @sizes, $chunks[$i][0] - $chunks[ $i - 1 ][0];
}
my @scoring = grep { $_ > 0 } @sizes[ 0 .. $#sizes - 1 ];
ok(@scoring >= 5 && !grep({ $_ < 50 || $_ > 200 } @scoring[ 1 .. $#scoring ]),
	'chunks hold about batch_size (100) rows')
  or diag "rows per chunk: @sizes";

# A version a running job scores with cannot be dropped, even in the
# moment before the job's first commit records it in batch_job: the job
# holds its version's registry row from the moment it resolves it.  The
# job is held there by a lock on batch_job; a drop of its version waits for
# the job's first commit, then refuses with 2BP01 naming the job.
$node->safe_psql('postgres', qq{
	SELECT model_deploy.deploy('bc', pg_read_file('$fx/bc_logistic.model.json'))});
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE model_deploy.batch_job IN EXCLUSIVE MODE');
my $job3 = $node->background_psql('postgres', on_error_stop => 0);
$job3->query_until(qr/started/,
	"\\echo started\nCALL model_deploy.score_table('accounts', 'bc', 'risk', 100, only_missing => false);\n");
ok( $node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE query LIKE 'CALL model_deploy.score_table%' AND wait_event_type = 'Lock'}),
	'a starting job waits to record itself');
my $dropper = $node->background_psql('postgres', on_error_stop => 0);
$dropper->query_safe("SELECT model_deploy.activate('bc', 2)");
$dropper->query_until(qr/dropping/,
	"\\echo dropping\nSELECT model_deploy.drop_version('bc', 3);\n\\echo dropped\n");
ok( $node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE query LIKE 'SELECT model_deploy.drop_version%' AND wait_event_type = 'Lock'}),
	'a drop of the version it resolved waits for it');
$locker->query_safe('COMMIT');
$dropper->query_until(qr/dropped/, '');
like($dropper->{stderr},
	qr/ERROR:  version 3 of model "bc" cannot be dropped: it is in use by running score_table job 3 \(version 3, table public.accounts\)/,
	'then refuses: the version is in use by the job');
# and while the job runs, a later drop refuses at once
my ($ret, $out, $err) = $node->psql('postgres',
	q{\set VERBOSITY verbose
	  SELECT model_deploy.drop_version('bc', 3)});
like($err, qr/ERROR:  2BP01: version 3 of model "bc" cannot be dropped: it is in use by running score_table job 3/,
	'a drop while the job runs: 2BP01');
$job3->query('SELECT 1');
$job3->quit;
$dropper->quit;
$locker->quit;
is( $node->safe_psql('postgres', q{
	SELECT j.state, j.rows_done, count(*) FILTER (WHERE a.risk = model_deploy.predict_pinned('bc', 3, a))
	  FROM model_deploy.batch_jobs j, accounts a WHERE j.job_id = 3 GROUP BY 1, 2}),
	'done|2000|2000', 'the job scored every row with its version');
is( $node->safe_psql('postgres', q{
	SELECT model_deploy.drop_version('bc', 3);
	SELECT count(*) FROM model_deploy.versions WHERE name = 'bc' AND version = 3}),
	"\n0", 'once the job is done the version drops');

$node->stop;
done_testing();
