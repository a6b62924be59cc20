# PsqlPipe: a psql session driven through a pipe, for loops of thousands of
# statements (PostgreSQL::Test::BackgroundPsql logs every query it sends,
# which a soak test cannot afford).  It also works in a forked process.
#
#   my $s = PsqlPipe->new($node);
#   my ($rows, $messages) = $s->query('SELECT 1, 2');
#
# $rows: one array of fields per row of output (unaligned, fields split at
# '|'); $messages: one hash {severity, sqlstate, message} per ERROR,
# WARNING, NOTICE... psql printed (verbose, so with the SQLSTATE).  Errors
# do not stop the session.
#
#   my $before = $s->cpu_wait;  ...  my $waited = $s->cpu_wait - $before;
#
# cpu_wait: seconds that this process, its psql and psql's backend have
# spent ready to run but waiting for a CPU (the second field of
# /proc/PID/schedstat), so that a test can tell the scheduler's delays on
# an oversubscribed machine from the server's own.
package PsqlPipe;

use strict;
use warnings;

use IPC::Open2;

my $marker = '==psql-pipe-done==';

sub new
{
	my ($class, $node, $dbname) = @_;
	my ($out, $in);
	my @psql = (
		$node->installed_command('psql'), '-X', '-A', '-t', '-q',
		'-v', 'ON_ERROR_STOP=0', '-v', 'VERBOSITY=verbose',
		'-d', $node->connstr($dbname // 'postgres'));
	# stderr into the same pipe, so that messages come before the marker
	my $pid = open2($out, $in, 'sh', '-c', 'exec "$@" 2>&1', 'sh', @psql);
	my $self = bless { pid => $pid, in => $in, out => $out }, $class;
	my ($rows) = $self->query('SELECT pg_backend_pid()');
	$self->{backend_pid} = $rows->[0][0];
	return $self;
}

sub backend_pid { return $_[0]->{backend_pid}; }

# The run-queue wait of one process in nanoseconds; 0 where the kernel
# does not keep schedstat (the wait is then not told apart).
sub run_queue_wait_ns
{
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/schedstat" or return 0;
	my ($on_cpu, $waiting) = split ' ', scalar <$fh>;
	return $waiting // 0;
}

sub cpu_wait
{
	my ($self) = @_;
	my $ns = 0;
	$ns += run_queue_wait_ns($_) foreach $$, $self->{pid}, $self->{backend_pid};
	return $ns / 1e9;
}

sub query
{
	my ($self, $sql) = @_;
	my (@rows, @messages);
	my $in = $self->{in};
	my $out = $self->{out};

	print $in "$sql\n;\n\\echo $marker\n";
	$in->flush;
	while (defined(my $line = <$out>))
	{
		chomp $line;
		return (\@rows, \@messages) if $line eq $marker;
		if ($line =~ /^(?:psql:[^:]*:\d+: )?(ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|LOG):  (?:([0-9A-Z]{5}): )?(.*)$/)
		{
			push @messages, { severity => $1, sqlstate => $2 // '', message => $3 };
		}
		elsif ($line =~ /^(?:DETAIL|HINT|CONTEXT|LOCATION|QUERY|STATEMENT):  /
			|| $line =~ /^(?:PL\/pgSQL|SQL) (?:function|statement)/)
		{
			next;
		}
		else
		{
			push @rows, [ split /\|/, $line, -1 ];
		}
	}
	die "psql (pid $self->{pid}) ended before answering: $sql";
}

sub close
{
	my ($self) = @_;
	close $self->{in};
	waitpid $self->{pid}, 0;
	return $?;
}

1;
