# Concurrency soak: for MD_SOAK_SECONDS (default 60) eight clients score
# without pause while one client deploys, activates, rolls back and drops
# versions and models, and another scores a table with score_table() again
# and again, in a shared store small enough that versions are evicted all
# the time.  Every score a client receives is checked against the outputs
# of the versions that may have produced it, computed beforehand; every
# error is classified.  Afterwards: no wrong score, no unexpected error,
# the store within its bound with nothing pinned and none of its memory
# lost, no backend waiting for its locks, nothing alarming in the log.
#
# The models:
#   soak_a  versions alternate between two XGBoost fixtures, dart_reg and
#           deep_reg (the same ten features); deployed, activated and
#           rolled back all the time, inside transactions that roll back
#           too; old versions are dropped.  Any error scoring it is
#           unexpected.
#   soak_d  dropped and deployed again, alternating between iris_softprob
#           and iris_softmax: between the drop and the new deploy, scoring
#           it fails, and only then; those errors are expected, counted
#           apart, and must be exactly 'model "soak_d" does not exist' or
#           'version 1 of model "soak_d" was dropped while in use' (42704).
#
# Expected outputs: for a row of a fixture's inputs, XGBoost's own output
# (FIXTURE.expected.csv) for that fixture's model; for the other model of
# the pair, the output of a reference copy of it, deployed under another
# name, never touched by the soak and first checked to reproduce XGBoost's
# outputs for its own inputs bit for bit.
use strict;
use warnings;

use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use MdTest;
use PsqlPipe;

my $soak_seconds = $ENV{MD_SOAK_SECONDS} // 60;
# no statement of a scorer or the deployer may take longer (score_table's
# CALL runs many chunks and is not bounded)
my $max_statement_ms = $ENV{MD_SOAK_MAX_STATEMENT_MS} // 1000;
my $n_scorers = 8;
# how much a client's backend memory may grow once warmed up
my $mem_bound = 256 * 1024;
# the budget of a backend's own copies of models (model_deploy.local_cache_size)
my $local_cache_kb = 1024;

# Just below diabetes_reg's compiled size (563 808 bytes with the compact
# fast layout): loading it evicts every unpinned version and then finds it
# does not fit, which empties the store for the capacity probe below.
my $store_kb = 540;

my $node = md_node('soak', conf => "model_deploy.shared_memory = '${store_kb}kB'\n"
	  . "max_connections = 30\n"
	  # if a statement ever stalls again (once, a deploy and a job for 10 s),
	  # the server log says on what
	  . "log_lock_waits = on\nlog_min_duration_statement = '2s'\n"
	  # PostgreSQL::Test::Cluster logs every statement: some 12,000 lines a
	  # second from every backend into one shared file, 1.6 GB in a 30-minute
	  # run; errors and statements over 2 s are still logged
	  . "log_statement = none\n"
	  . "model_deploy.local_cache_size = '${local_cache_kb}kB'\n");
$node->start;

my %pair = (
	soak_a => [ 'dart_reg', 'deep_reg' ],
	soak_d => [ 'iris_softprob', 'iris_softmax' ]);
my @fixtures = map { @$_ } @pair{qw(soak_a soak_d)};
my %file = map { $_ => fixture_file($_, 'model.json') } @fixtures, 'diabetes_reg';

$node->safe_psql('postgres', setup_checks_sql());
foreach my $fx (@fixtures)
{
	$node->safe_psql('postgres', load_fixture_sql($fx)
		  . "SELECT model_deploy.deploy('ref_$fx', pg_read_file('$file{$fx}'));");
	cmp_ok($node->safe_psql('postgres', "SELECT md_check('ref_$fx', '$fx')"),
		'>', 0, "reference copy of $fx scores its inputs as XGBoost does");
}

# the rows clients score, and what each version may answer for them
$node->safe_psql('postgres', q{
	CREATE TABLE soak_pair (model text, fixture text);
	INSERT INTO soak_pair VALUES ('soak_a', 'dart_reg'), ('soak_a', 'deep_reg'),
		('soak_d', 'iris_softprob'), ('soak_d', 'iris_softmax');
	CREATE TABLE soak_in AS
		SELECT row_number() OVER () AS id, s.model, p.fixture AS source, p.x, p.raw
		  FROM md_probe p JOIN soak_pair s USING (fixture);
	CREATE TABLE soak_expected AS
		SELECT i.id, s.fixture,
			   CASE WHEN s.fixture = i.source THEN i.raw
					ELSE model_deploy.predict_raw('ref_' || s.fixture, i.x) END AS raw
		  FROM soak_in i JOIN soak_pair s USING (model);
	-- soak_a's rows with one column per feature, for scoring by name
	CREATE TABLE soak_rows AS
		SELECT id, x[1] AS age, x[2] AS sex, x[3] AS bmi, x[4] AS bp, x[5] AS s1,
			   x[6] AS s2, x[7] AS s3, x[8] AS s4, x[9] AS s5, x[10] AS s6
		  FROM soak_in WHERE model = 'soak_a';
	-- the table score_table() scores: three copies of those rows
	CREATE TABLE soak_t AS
		SELECT r.*, NULL::float8 AS score FROM soak_rows r, generate_series(1, 3);
	-- the fixture of each committed version of soak_a, written by the
	-- deploy's own transaction
	CREATE TABLE soak_version (version integer PRIMARY KEY, fixture text);
});
is( $node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE a.raw IS DISTINCT FROM b.raw)
	  FROM soak_expected a JOIN soak_expected b ON a.id = b.id AND a.fixture < b.fixture}),
	'700',
	'the two models of each pair score each of the 700 rows differently');

my (%model_of, %expected);
foreach my $line (split /\n/, $node->safe_psql('postgres',
		'SELECT i.id, i.model, e.fixture, e.raw FROM soak_in i JOIN soak_expected e USING (id)'))
{
	my ($id, $model, $fx, $raw) = split /\|/, $line;
	$model_of{$id} = $model;
	$expected{$id}{$fx} = [ parse_array($raw) ];
}
my %ids_of;
push @{ $ids_of{ $model_of{$_} } }, $_ foreach sort { $a <=> $b } keys %model_of;
my @ids_a = @{ $ids_of{soak_a} };
my @ids_d = @{ $ids_of{soak_d} };

sub parse_array
{
	my ($text) = @_;
	return () unless defined $text && $text =~ /^\{(.*)\}$/;
	return split /,/, $1;
}

# Are these the same numbers (as float8 values, whatever their spelling)?
sub same_values
{
	my ($got, $want) = @_;
	return 0 unless @$got == @$want;
	for my $i (0 .. $#$want)
	{
		return 0 unless $got->[$i] =~ /^-?[0-9.e+-]+$/ && $got->[$i] == $want->[$i];
	}
	return 1;
}

# Is this answer for row $id the output of one of its model's versions?
sub is_expected
{
	my ($id, $values) = @_;
	return grep { same_values($values, $_) } values %{ $expected{$id} };
}

# ----------------------------------------------------------------------
# Capacity of the store: empty it, then load versions of iris_softmax
# (20 kB compiled) until it is full; a blob lost by the store would make
# fewer fit afterwards.
$node->safe_psql('postgres', load_fixture_sql('diabetes_reg')
	  . "SELECT model_deploy.deploy('eraser', pg_read_file('$file{diabetes_reg}'))");
my $cap_model = $file{iris_softmax};

sub capacity
{
	my ($round) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SELECT md_check('eraser', 'diabetes_reg')", on_error_die => 1);
	like($err, qr/version 1 of model "eraser" is too large for shared memory/,
		"capacity probe ($round): the eraser does not fit");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM model_deploy.shared_models'),
		'0', "capacity probe ($round): loading it emptied the store");
	$node->safe_psql('postgres', "SELECT model_deploy.drop_model('cap')")
	  if $round ne 'before';
	$node->safe_psql('postgres', join '',
		map { "SELECT model_deploy.deploy('cap', pg_read_file('$cap_model'));
			   SELECT md_check('cap', 'iris_softmax');" } 1 .. 36);
	return $node->safe_psql('postgres', q{
		SELECT count(*) || '|' || sum(bytes) FROM model_deploy.shared_models WHERE name = 'cap'});
}
my ($cap_before, $cap_bytes) = split /\|/, capacity('before');
note "capacity: $cap_before versions of iris_softmax, $cap_bytes bytes";
cmp_ok($cap_before, '>=', 20, 'the store holds at least 20 versions of iris_softmax');

# ----------------------------------------------------------------------
# A new version four clients load at once, the store full (of the probe's
# versions).  Each compiles it; the one that takes the allocation lock
# first publishes it, and the others, holding the lock after it
# (model_deploy.debug_sleep_in_lock makes each hold it half a second, so
# the first has long published when they look), find its copy and pin
# that: compiled into shared memory once, no WARNING.  (Each used to evict
# the copy published before its own to make room for the same version.)
$node->safe_psql('postgres', "SELECT model_deploy.deploy('herd', pg_read_file('$file{deep_reg}'))");
my $stats_sql = "SELECT compiles, shared_hits FROM model_deploy.store_stats() WHERE scope = 'server'";
my ($compiles0, $hits0) = split /\|/, $node->safe_psql('postgres', $stats_sql);
my $gate = $node->background_psql('postgres');
$gate->query_safe('SELECT pg_advisory_lock(42)');
my @herd = map { $node->background_psql('postgres') } 1 .. 4;
foreach my $h (@herd)
{
	$h->query_safe("SET model_deploy.debug_sleep_in_lock = '500ms'");
	$h->query_until(qr/waiting/, "\\echo waiting\nSELECT pg_advisory_lock_shared(42);\n"
		  . "SELECT md_check('herd', 'deep_reg');\n");
}
$node->poll_query_until('postgres',
	"SELECT count(*) = 4 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
  or die 'the herd did not gather';
$gate->query_safe('SELECT pg_advisory_unlock(42)');
my $herd_out = '';
my $herd_err = '';
foreach my $h (@herd)
{
	$herd_out .= $h->query('SELECT 1');
	$herd_err .= $h->{stderr};
	$h->quit;
}
$gate->quit;
is(scalar(() = $herd_out =~ /^200$/mg), 4, 'four clients loading a new version at once score it as XGBoost does');
is($herd_err, '', 'with no WARNING');
my ($compiles1, $hits1) = split /\|/, $node->safe_psql('postgres', $stats_sql);
is($compiles1 - $compiles0, 1, 'it was compiled into shared memory once');
is($hits1 - $hits0, 3, 'and the three others pinned that copy');

# ----------------------------------------------------------------------
# The soak

$node->safe_psql('postgres', qq{
	SELECT model_deploy.deploy('soak_d', pg_read_file('$file{iris_softprob}'));
	BEGIN;
	INSERT INTO soak_version VALUES
		(model_deploy.deploy('soak_a', pg_read_file('$file{deep_reg}')), 'deep_reg');
	COMMIT;
});

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $log_offset = -s $node->logfile;
my $deadline = time + $soak_seconds;

# A forked client: runs $body until the deadline and writes what it counted
# to a file.  It leaves the test's state alone (no TAP output, no END
# blocks).
sub start_client
{
	my ($name, $body) = @_;
	my $pid = fork // die "fork: $!";
	return $pid if $pid;
	my %count;
	my @problems;
	eval {
		local $SIG{ALRM} = sub { die "timed out\n" };
		alarm($soak_seconds + 120);
		my $s = PsqlPipe->new($node);
		# scorers run at a lower priority than the deployer and the batch
		# client, so that on a small machine those still go round often
		if ($name =~ /^scorer/)
		{
			setpriority(0, $_, 10) foreach 0, $s->{pid}, $s->backend_pid;
		}
		srand($$);
		my $iterations = 0;
		while (time < $deadline)
		{
			$body->($s, \%count, \@problems);
			# the backend's memory once warmed up (its plans, caches and
			# copies of models made), and again at the end
			@count{qw(models_mem_warm mem_warm)} = backend_memory($s)
			  if ++$iterations == ($name eq 'batch' ? 1 : 200);
		}
		@count{qw(models_mem_end mem_end)} = backend_memory($s)
		  if exists $count{mem_warm};
		$s->close;
		alarm 0;
		1;
	} or push @problems, "client died: $@";
	open my $fh, '>', "$tmp/$name" or POSIX::_exit(1);
	print $fh "slowest $count{slowest_ms} " . (delete $count{slowest_sql}) . "\n"
	  if defined $count{slowest_sql};
	print $fh "slow @$_\n" foreach @{ delete $count{slow_list} // [] };
	print $fh "count $_ $count{$_}\n" foreach sort keys %count;
	print $fh "problem $_\n" foreach @problems;
	close $fh;
	POSIX::_exit(0);
}

# The bytes a client's backend allocated: in the context of its own copies
# of compiled models, and in all its other memory contexts together.
sub backend_memory
{
	my ($s) = @_;
	my ($rows) = $s->query(q{
		SELECT coalesce(sum(total_bytes) FILTER (WHERE name = 'model_deploy compiled models'), 0),
			   sum(total_bytes) FILTER (WHERE name <> 'model_deploy compiled models')
		  FROM pg_backend_memory_contexts});
	return @{ $rows->[0] // [ -1, -1 ] };
}

# An error scoring soak_d while it is dropped is expected; anything else
# is a problem.
sub classify_errors
{
	my ($messages, $model, $count, $problems) = @_;
	my $errors = 0;
	foreach my $m (@$messages)
	{
		if ($m->{severity} eq 'WARNING'
			&& $m->{message} =~ /^no room in shared memory for version \d+ of model "soak_[ad]"/)
		{
			$count->{own_copy_warnings}++;
			next;
		}
		next if $m->{severity} eq 'NOTICE';
		$errors++;
		if ($model eq 'soak_d' && $m->{sqlstate} eq '42704'
			&& $m->{message} =~ /^(?:model "soak_d" does not exist()|version 1 of model "soak_d" was dropped while in use)$/)
		{
			$count->{expected_errors}++;
			$count->{ defined $1 ? 'model_missing' : 'dropped_in_use' }++;
			next;
		}
		$count->{unexpected_errors}++;
		push @$problems, "$m->{severity} $m->{sqlstate}: $m->{message}";
	}
	return $errors;
}

# Check the rows of an answer: one per id asked for (unless an error came),
# each an expected output for its row.
sub check_rows
{
	my ($rows, $ids, $count, $problems, $what) = @_;
	my %asked = map { $_ => 1 } @$ids;
	foreach my $row (@$rows)
	{
		my ($id, $value) = @$row;
		my @values = $value =~ /^\{/ ? parse_array($value) : ($value);
		delete $asked{$id};
		$count->{scores_checked}++;
		next if defined $id && exists $expected{$id} && is_expected($id, \@values);
		$count->{wrong_scores}++;
		push @$problems, "wrong score for row $id ($what): $value";
	}
	if (%asked)
	{
		$count->{missing_rows} += keys %asked;
		push @$problems, "no answer for rows " . join(',', sort keys %asked) . " ($what)";
	}
}

sub pick { $_[ int rand @_ ] }

# A scoring client: single rows and groups of ten, by array and by name,
# one-off and prepared, of soak_a; single rows of soak_d.
sub scorer
{
	my ($s, $count, $problems) = @_;
	my $kind = rand;
	my ($model, $sql, @ids);

	$s->query('PREPARE pa(bigint) AS SELECT id, model_deploy.predict_raw($$soak_a$$, x) FROM soak_in WHERE id = $1')
	  unless $count->{statements};
	if ($kind < 0.25)
	{
		($model, @ids) = ('soak_a', pick(@ids_a));
		$sql = "SELECT id, model_deploy.predict_raw('soak_a', x) FROM soak_in WHERE id = $ids[0]";
	}
	elsif ($kind < 0.4)
	{
		($model, @ids) = ('soak_a', pick(@ids_a));
		$sql = "EXECUTE pa($ids[0])";
	}
	elsif ($kind < 0.55)
	{
		my $first = int rand(@ids_a - 10);
		($model, @ids) = ('soak_a', @ids_a[ $first .. $first + 9 ]);
		$sql = "SELECT id, model_deploy.predict_raw('soak_a', x) FROM soak_in WHERE id BETWEEN $ids[0] AND $ids[-1]";
	}
	elsif ($kind < 0.7)
	{
		($model, @ids) = ('soak_a', pick(@ids_a));
		$sql = "SELECT id, model_deploy.predict('soak_a', r) FROM soak_rows r WHERE id = $ids[0]";
	}
	else
	{
		($model, @ids) = ('soak_d', pick(@ids_d));
		$sql = "SELECT id, model_deploy.predict_raw('soak_d', x) FROM soak_in WHERE id = $ids[0]";
	}
	my ($started, $waited) = (time, $s->waits);
	my ($rows, $messages) = $s->query($sql);
	note_duration($count, $started, waited_since($s, $waited), $sql, $s->backend_pid);
	$count->{statements}++;
	$count->{"statements_$model"}++;
	return if classify_errors($messages, $model, $count, $problems);
	check_rows($rows, \@ids, $count, $problems, $sql);
}

# What a session waited for a CPU and for block I/O since WAITED (an
# earlier $session->waits): [cpu, io] in seconds.
sub waited_since
{
	my ($session, $waited) = @_;
	my $now = $session->waits;
	return [ map { $now->[$_] - $waited->[$_] } 0, 1 ];
}

# Keep a client's slowest statement, and count those over the 1 s bound.
# The bound is on a statement's time less what its backend, its psql and
# this client spent ready to run but waiting for a CPU, and waiting for
# block I/O (PsqlPipe's waits): lock waits and work all count, the
# scheduler's queue on an oversubscribed machine (scorers run at nice 10)
# and a disk saturated by other programs do not.  Statements over the
# bound by the clock alone are counted and listed apart.
sub note_duration
{
	my ($count, $started, $wait, $sql, $backend) = @_;
	my $ended = time;
	my $seconds = $ended - $started;
	my $own = $seconds - $wait->[0] - $wait->[1];
	$count->{slow_statements}++ if $own * 1000 > $max_statement_ms;
	(my $what = $sql) =~ s/\s+/_/g;
	my $breakdown = sprintf('%d ms by the clock, %d ms waiting for a CPU, %d ms for block I/O',
		$seconds * 1000, $wait->[0] * 1000, $wait->[1] * 1000);
	if ($seconds * 1000 > $max_statement_ms)
	{
		$count->{slow_by_clock}++;
		push @{ $count->{slow_list} }, [ $started, $ended, $backend, "$what ($breakdown)" ];
	}
	return if $own <= ($count->{slowest_ms} // 0) / 1000;
	$count->{slowest_ms} = int($own * 1000);
	$count->{slowest_sql} = "$what ($breakdown)";
}

# The sampler: what active backends wait on, every 10 ms, so that a stall
# says where it was spent (heavyweight locks show in the server log too;
# LWLocks, IO and the like only here).
# Each sample is also kept by backend and time ($tmp/samples), so that a
# slow statement's own waits can be told (see slow_statement_waits).
sub sampler
{
	my ($s, $count) = @_;
	my $at = time;
	my ($rows) = $s->query(q{
		SELECT pid, coalesce(wait_event_type || ':' || wait_event, 'running')
		  FROM pg_stat_activity
		 WHERE state = 'active' AND pid <> pg_backend_pid()
		   AND backend_type = 'client backend'});
	$count->{samples}++;
	open my $fh, '>>', "$tmp/samples" or die "samples: $!";
	foreach (@$rows)
	{
		my ($pid, $wait) = @$_;
		print $fh "$at $pid $wait\n";
		$count->{"wait.$wait"}++ unless $wait eq 'running';
	}
	close $fh;
	sleep 0.01;
}

# What the backends of statements over the bound by the clock were doing,
# from the sampler's samples of them while they ran: "wait count, ...",
# where "running" is on a CPU or waiting for one.
sub slow_statement_waits
{
	my @slow = @_;
	return () unless @slow && -e "$tmp/samples";
	my @samples = map { [ split / /, $_, 3 ] } split /\n/, slurp_file("$tmp/samples");
	return map {
		my ($start, $end, $pid, $what) = @$_;
		my %n;
		$n{ $_->[2] }++ foreach grep { $_->[1] == $pid && $_->[0] >= $start && $_->[0] <= $end } @samples;
		sprintf('%s: %.0f ms; samples of its backend: %s', $what, ($end - $start) * 1000,
			join(', ', map { "$_ $n{$_}" } sort { $n{$b} <=> $n{$a} } keys %n) || 'none');
	} @slow;
}

# The batch client: score the whole table, then check every stored score
# against the outputs of the version the job used.
sub batcher
{
	my ($s, $count, $problems) = @_;
	my ($rows, $messages) = $s->query('UPDATE soak_t SET score = NULL');
	classify_errors($messages, 'soak_t', $count, $problems);
	($rows, $messages) = $s->query("CALL model_deploy.score_table('soak_t', 'soak_a', 'score', 100)");
	$count->{jobs}++;
	return if classify_errors($messages, 'soak_a', $count, $problems);
	($rows, $messages) = $s->query(q{
		SELECT j.state, j.rows_done, j.version, v.fixture
		  FROM model_deploy.batch_job j LEFT JOIN soak_version v USING (version)
		 WHERE j.pid = pg_backend_pid() ORDER BY j.job_id DESC LIMIT 1});
	my ($state, $done, $version, $fx) = @{ $rows->[0] // [] };
	unless (defined $fx && $state eq 'done' && $done == 3 * @ids_a)
	{
		push @$problems, "job ended as: " . join('|', map { $_ // 'NULL' } @{ $rows->[0] // [] });
		return;
	}
	($rows, $messages) = $s->query('SELECT id, score FROM soak_t');
	classify_errors($messages, 'soak_t', $count, $problems);
	foreach my $row (@$rows)
	{
		my ($id, $score) = @$row;
		$count->{scores_checked}++;
		next if same_values([$score], [ $expected{$id}{$fx}[0] ]);
		$count->{wrong_scores}++;
		push @$problems, "job with version $version ($fx) stored $score for row $id";
	}
	$count->{jobs_checked}++;
	$count->{"jobs_$fx"}++;
}

my @clients;
push @clients, [ "scorer$_", start_client("scorer$_", \&scorer) ] foreach 1 .. $n_scorers;
push @clients, [ 'batch', start_client('batch', \&batcher) ];
push @clients, [ 'sampler', start_client('sampler', \&sampler) ];

# The deployer, in this process.
my (%deployer, @deployer_problems);
my $admin = PsqlPipe->new($node);
my %inactive_since;    # soak_a version -> when it was last deactivated
my $active = $node->safe_psql('postgres',
	"SELECT version FROM model_deploy.versions WHERE name = 'soak_a' AND active");
my %fixture_of = ($active => 'deep_reg');
my $next_d = 1;        # index into soak_d's pair of the next deploy
my $max_store_bytes = 0;

# one deployer statement: its rows; errors are all unexpected
sub admin
{
	my ($sql) = @_;
	my ($started, $waited) = (time, $admin->waits);
	my ($rows, $messages) = $admin->query($sql);
	note_duration(\%deployer, $started, waited_since($admin, $waited), $sql, $admin->backend_pid);
	foreach my $m (@$messages)
	{
		next if $m->{severity} eq 'NOTICE'
		  || ($m->{severity} eq 'WARNING' && $m->{message} =~ /^no room in shared memory/);
		# a score_table job whose first transaction (which records its
		# version) was still open when the deployer looked has resolved the
		# version: drop_version() waits for that commit and refuses
		if ($m->{sqlstate} eq '2BP01' && $sql =~ /drop_version/
			&& $m->{message} =~ /in use by running score_table job/)
		{
			$deployer{drops_refused_in_use}++;
			next;
		}
		$deployer{unexpected_errors}++;
		push @deployer_problems, "$m->{severity} $m->{sqlstate}: $m->{message} ($sql)";
	}
	return $rows->[0][0] if !wantarray;
	return @$rows;
}

eval {
	local $SIG{ALRM} = sub { die "deployer timed out\n" };
	alarm($soak_seconds + 120);
	while (time < $deadline)
	{
		my $fx = $fixture_of{$active} eq 'dart_reg' ? 'deep_reg' : 'dart_reg';
		my $other = $fx eq 'dart_reg' ? 'deep_reg' : 'dart_reg';

		# a deploy that rolls back, of the model the next committed deploy
		# is not, under the version number that deploy will get; inside its
		# transaction it scores
		admin('BEGIN');
		my $v = admin("SELECT model_deploy.deploy('soak_a', pg_read_file('$file{$other}'))");
		my @ids = map { pick(@ids_a) } 1 .. 3;
		my @rows = admin("SELECT id, model_deploy.predict_raw('soak_a', x) FROM soak_in WHERE id IN (" . join(',', @ids) . ')');
		foreach my $row (@rows)
		{
			my @got = parse_array($row->[1]);
			$deployer{scores_checked}++;
			next if same_values(\@got, $expected{ $row->[0] }{$other});
			$deployer{wrong_scores}++;
			push @deployer_problems, "inside its transaction, version $v scored row $row->[0] $row->[1]";
		}
		admin('ROLLBACK');
		$deployer{deploys_rolled_back}++;

		# the committed deploy
		admin('BEGIN');
		$v = admin("SELECT model_deploy.deploy('soak_a', pg_read_file('$file{$fx}'))");
		admin("INSERT INTO soak_version VALUES ($v, '$fx')");
		admin('COMMIT');
		$deployer{deploys}++;
		my $prev = $active;
		($active, $fixture_of{$v}) = ($v, $fx);

		# activations: one rolled back, then a committed rollback to the
		# previous version and a roll forward again
		admin('BEGIN');
		admin("SELECT model_deploy.activate('soak_a', $prev)");
		admin('ROLLBACK');
		$deployer{activations_rolled_back}++;
		admin("SELECT model_deploy.activate('soak_a', $prev)");
		sleep 0.02;
		admin("SELECT model_deploy.activate('soak_a', $v)");
		$deployer{activations} += 2;
		$inactive_since{$prev} = time;

		# drop versions inactive for 8 s that no batch job is using
		my %in_use = map { $_->[0] => 1 } admin(
			"SELECT version FROM model_deploy.batch_job WHERE model = 'soak_a' AND state = 'running'");
		foreach my $old (sort { $a <=> $b } keys %inactive_since)
		{
			next if $in_use{$old} || time - $inactive_since{$old} < 8;
			my $refused = $deployer{drops_refused_in_use} // 0;
			admin("SELECT model_deploy.drop_version('soak_a', $old)");
			# in use by a job after all: tried again next round
			next if ($deployer{drops_refused_in_use} // 0) > $refused;
			delete $inactive_since{$old};
			$deployer{versions_dropped}++;
		}

		# soak_d: a drop that rolls back, then a drop and a new deploy
		admin('BEGIN');
		admin("SELECT model_deploy.drop_model('soak_d')");
		admin('ROLLBACK');
		$deployer{model_drops_rolled_back}++;
		admin("SELECT model_deploy.drop_model('soak_d')");
		sleep 0.02;
		admin("SELECT model_deploy.deploy('soak_d', pg_read_file('$file{$pair{soak_d}[$next_d]}'))");
		$next_d = 1 - $next_d;
		$deployer{model_drops}++;

		my $bytes = admin('SELECT coalesce(sum(bytes), 0) FROM model_deploy.shared_models');
		$max_store_bytes = $bytes if $bytes > $max_store_bytes;
		$deployer{iterations}++;
	}
	alarm 0;
	1;
} or push @deployer_problems, "deployer: $@";

my %total;
my @problems = @deployer_problems;
# the slowest statement of any client: milliseconds, which
my @slowest = ($deployer{slowest_ms} // 0, "deployer: " . ($deployer{slowest_sql} // ''));
$total{$_} = $deployer{$_} // 0 foreach qw(slow_statements slow_by_clock);
my @slow = map { [ @$_[0 .. 2], "deployer: $_->[3]" ] } @{ delete $deployer{slow_list} // [] };
foreach my $client (@clients)
{
	my ($name, $pid) = @$client;
	waitpid $pid, 0;
	my @lines = -e "$tmp/$name" ? split /\n/, slurp_file("$tmp/$name") : ("problem $name wrote nothing");
	foreach (@lines)
	{
		if (/^count (\S+) (\d+)$/)
		{
			$total{$1} += $2 unless $1 eq 'slowest_ms';
			$total{"$name.$1"} = $2;
		}
		elsif (/^slowest (\d+) (.*)$/)
		{
			@slowest = ($1, "$name: $2") if $1 > $slowest[0];
		}
		elsif (/^slow (\S+) (\S+) (\d+) (.*)$/)
		{
			push @slow, [ $1, $2, $3, "$name: $4" ];
		}
		elsif (/^problem (.*)$/)
		{
			push @problems, "$name: $1";
		}
	}
}
my $elapsed = time - ($deadline - $soak_seconds);

# ----------------------------------------------------------------------
# What happened

my $server = $node->safe_psql('postgres',
	"SELECT compiles, shared_hits, local_copies, evictions FROM model_deploy.store_stats() WHERE scope = 'server'");
my ($compiles, $hits, $local, $evictions) = split /\|/, $server;
note sprintf('soak: %.0f s, %d statements by %d scoring clients (%d of soak_a, %d of soak_d), '
	  . '%d scores checked; %d score_table jobs, %d scores checked; '
	  . '%d expected errors (soak_d dropped: %d "does not exist", %d "dropped while in use"), '
	  . '%d unexpected, %d wrong scores; '
	  . '%d own copies (store full of versions in use)',
	$elapsed, $total{statements} // 0, $n_scorers, $total{statements_soak_a} // 0,
	$total{statements_soak_d} // 0,
	($total{scores_checked} // 0) - ($total{'batch.scores_checked'} // 0),
	$total{'batch.jobs_checked'} // 0, $total{'batch.scores_checked'} // 0,
	$total{expected_errors} // 0, $total{model_missing} // 0, $total{dropped_in_use} // 0,
	($total{unexpected_errors} // 0) + ($deployer{unexpected_errors} // 0),
	($total{wrong_scores} // 0) + ($deployer{wrong_scores} // 0), $total{own_copy_warnings} // 0);
note sprintf('deployer: %d iterations, %d deploys committed, %d rolled back (%d scores checked '
	  . 'inside them), %d activations committed, %d rolled back, %d versions dropped '
	  . '(%d drops refused: a starting score_table job held the version), '
	  . '%d drops of soak_d (and %d rolled back)',
	map { $deployer{$_} // 0 } qw(iterations deploys deploys_rolled_back scores_checked
	  activations activations_rolled_back versions_dropped drops_refused_in_use model_drops
	  model_drops_rolled_back));
note "store: $compiles versions compiled into shared memory, $evictions evictions, "
  . "$local own copies, $hits shared hits; at most $max_store_bytes bytes in use "
  . "of " . $store_kb * 1024;
note 'batch jobs by fixture: ' . join(', ', map { "$_ $total{\"batch.jobs_$_\"}" }
	grep { $total{"batch.jobs_$_"} } @{ $pair{soak_a} });

is(scalar(@problems), 0, 'no wrong score, no unexpected error, no missing row')
  or diag join "\n", @problems[ 0 .. ($#problems < 20 ? $#problems : 19) ];
my @waits = sort { $total{$b} <=> $total{$a} } grep { /^wait\./ } keys %total;
note sprintf('wait events of active client backends in %d samples (every 10 ms): %s',
	$total{samples} // 0,
	join(', ', map { substr($_, 5) . " $total{$_}" } @waits[ 0 .. ($#waits < 9 ? $#waits : 9) ]) || 'none');
note "slowest statement, less its waits for a CPU and block I/O: $slowest[0] ms ($slowest[1])";
note sprintf('%d statements over %d ms by the clock, %d of them only because they waited for a CPU or block I/O',
	$total{slow_by_clock} // 0, $max_statement_ms,
	($total{slow_by_clock} // 0) - ($total{slow_statements} // 0));
@slow = sort { $b->[1] - $b->[0] <=> $a->[1] - $a->[0] } @slow;
note "over the bound by the clock: $_" foreach slow_statement_waits(@slow[ 0 .. ($#slow < 19 ? $#slow : 19) ]);
is($total{slow_statements}, 0, "no statement took over ${max_statement_ms} ms, less its waits for a CPU and block I/O")
  or diag "slowest: $slowest[0] ms ($slowest[1]); $total{slow_statements} over the bound";
cmp_ok($_, '>', 0, 'every client scored') foreach map { $total{"scorer$_.scores_checked"} // 0 } 1 .. $n_scorers;
cmp_ok($total{'batch.jobs_checked'} // 0, '>', 0, 'score_table jobs ran and every stored score was checked');
cmp_ok($deployer{iterations} // 0, '>=', 5, 'the deployer went round its loop');
cmp_ok($evictions, '>', 0, 'versions were evicted');

# Backend memory: after warming up, a client's backend scores thousands of
# statements more (and score_table() scores its table again and again)
# without its memory growing by more than $mem_bound bytes outside its own
# copies of models, which stay within model_deploy.local_cache_size (many
# versions do not fit in the small shared store, so a client keeps copies).
my @mem_clients = ((map { "scorer$_" } 1 .. $n_scorers), 'batch');
my %growth = map { $_ => ($total{"$_.mem_end"} // 0) - ($total{"$_.mem_warm"} // 0) } @mem_clients;
note 'backend memory outside own copies of models, warmed up -> end (bytes): ' . join(', ',
	map { sprintf '%s %s -> %s', $_, $total{"$_.mem_warm"} // '?', $total{"$_.mem_end"} // '?' }
	  @mem_clients);
note 'own copies of models at the end (bytes): '
  . join(', ', map { "$_ " . ($total{"$_.models_mem_end"} // '?') } @mem_clients);
is(scalar(grep { !defined $total{"$_.mem_warm"} || !defined $total{"$_.mem_end"} } @mem_clients),
	0, 'every client\'s backend memory was measured, warmed up and at the end');
foreach my $c (@mem_clients)
{
	cmp_ok($growth{$c}, '<=', $mem_bound,
		"$c: its backend memory outside own copies of models grew by $growth{$c} bytes, at most $mem_bound");
	cmp_ok($total{"$c.models_mem_end"} // 0, '<=', ($local_cache_kb + 64) * 1024,
		"$c: its own copies of models stay within model_deploy.local_cache_size (and 64 kB of overhead)");
}

# ----------------------------------------------------------------------
# Afterwards

$admin->close;
$node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity
	 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()})
  or die 'the clients\' sessions did not end';
is( $node->safe_psql('postgres', q{
	SELECT coalesce(sum(pins), 0),
		   coalesce(sum(bytes), 0) <= pg_size_bytes(current_setting('model_deploy.shared_memory'))
	  FROM model_deploy.shared_models}),
	'0|t', 'once the clients are gone nothing is pinned, and the store is within its bound');

# the locks: nobody waits for them, and a new version is deployed, compiled
# into shared memory (the allocation lock) and scored at once
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM pg_stat_activity
	 WHERE wait_event_type = 'LWLock' AND wait_event = 'model_deploy'}),
	'0', 'no session waits for a model_deploy lock');
my $started = time;
my ($ret, $out, $err) = $node->psql('postgres', qq{
	SET statement_timeout = '5s';
	SELECT model_deploy.deploy('final', pg_read_file('$file{dart_reg}'));
	SELECT md_check('final', 'dart_reg');
	SELECT in_shared_memory FROM model_deploy.models WHERE name = 'final';},
	timeout => 60);
my $took = time - $started;
is("$ret|$out", "0|1\n200\nt", 'a final deploy is compiled into shared memory and scores as XGBoost does');
cmp_ok($took, '<', 5, sprintf('at once (%.2f s)', $took));

my ($cap_after) = split /\|/, capacity('after');
is($cap_after, $cap_before, "afterwards the store holds as many versions as before ($cap_before): no memory lost");

my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/PANIC|TRAP|terminated by signal|segmentation fault|was terminated/i,
	'the server log has no PANIC, failed assertion or crashed process');
note "slow or waiting: $_" foreach grep { /still waiting|duration: / } split /\n/, $log;
my $logged_errors = () = $log =~ /\bERROR:  /g;
is($logged_errors, $total{expected_errors} // 0,
	'the server logged exactly the errors the clients saw (the expected ones)');

$node->stop;
done_testing();
