# Scheduled batch scoring with pg_cron (Debian's postgresql-15-cron): a
# cron job that CALLs model_deploy.score_table() runs, succeeds and scores
# the rows.  pg_cron 1.4 schedules by the minute (second-level schedules
# came with 1.5), so this test waits for the next minute's run.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FixtureInputs;

my $fx = fixture_dir();
my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
# pg_cron runs jobs over libpq: through this cluster's socket directory
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron,model_deploy'
cron.database_name = 'postgres'
cron.host = '@{[ $node->host ]}'
});
$node->start;

$node->safe_psql('postgres', qq{
	CREATE EXTENSION pg_cron;
	CREATE EXTENSION model_deploy;
	SELECT model_deploy.deploy('iris', pg_read_file('$fx/iris_softprob.model.json'));
});
load_inputs($node, 'flowers', 'iris_softprob', 'species int');
is($node->safe_psql('postgres', 'SELECT count(*) FROM flowers WHERE species IS NULL'),
	'150', '150 flowers to classify');

my $jobid = $node->safe_psql('postgres', q{
	SELECT cron.schedule('classify-flowers', '* * * * *',
		$$CALL model_deploy.score_table('flowers', 'iris', 'species')$$)});
ok( $node->poll_query_until('postgres', qq{
	SELECT count(*) > 0 FROM cron.job_run_details
	 WHERE jobid = $jobid AND status IN ('succeeded', 'failed')}),
	'the cron job ran');
is( $node->safe_psql('postgres', qq{
	SELECT status, return_message FROM cron.job_run_details
	 WHERE jobid = $jobid ORDER BY start_time LIMIT 1}),
	'succeeded|CALL', 'it succeeded');
is( $node->safe_psql('postgres', q{
	SELECT count(*), count(*) FILTER (WHERE species = model_deploy.predict('iris', f))
	  FROM flowers f}),
	'150|150', 'it classified every flower as predict() does');
is( $node->safe_psql('postgres', q{
	SELECT relation, state, rows_done FROM model_deploy.batch_jobs ORDER BY job_id LIMIT 1}),
	'flowers|done|150', 'model_deploy.batch_jobs records the run');
is($node->safe_psql('postgres', "SELECT cron.unschedule($jobid)"),
	't', 'unschedule');

$node->stop;
done_testing();
