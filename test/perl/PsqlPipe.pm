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
#   my $before = $s->waits;  ...  my $after = $s->waits;
#
# waits: [cpu, io], the seconds that this process, its psql and psql's
# backend have spent ready to run but waiting for a CPU (the second field
# of /proc/PID/schedstat) and waiting for block I/O (delay accounting), so
# that a test can tell the delays of an oversubscribed machine or a
# saturated disk from the server's own.
package PsqlPipe;

use strict;
use warnings;

use POSIX ();
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

# The block-I/O wait of one process in seconds (delayacct_blkio_ticks,
# field 42 of /proc/PID/stat); 0 unless the kernel's task_delayacct is on,
# which test/run turns on for its run when it can.
sub block_io_wait
{
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return 0;
	my $stat = scalar <$fh>;
	# the fields after the command name, which may hold spaces; field 3 first
	my @after = split ' ', substr($stat, rindex($stat, ')') + 1);
	return ($after[39] // 0) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}

# What this client, its psql and its backend have spent so far not working
# but ready to run and waiting for a CPU, and waiting for block I/O, in
# seconds: [cpu, io].  A statement's share is the difference of two calls.
sub waits
{
	my ($self) = @_;
	my @pids = ($$, $self->{pid}, $self->{backend_pid});
	my $ns = 0;
	$ns += run_queue_wait_ns($_) foreach @pids;
	my $io = 0;
	$io += block_io_wait($_) foreach @pids;
	return [ $ns / 1e9, $io ];
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
