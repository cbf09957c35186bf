# Part of the supervisor (see supervisor.pl), compiled on first use: finding and killing the
# processes a command left behind, from /proc.
#
# Killing a child's pid is not enough: a timed-out `npm test` has grandchildren, a fork bomb has
# thousands, and `setsid` lets a process leave its parent's group. We read every process's
# parent, process group and session from /proc and kill whole process groups with one signal:
# the kernel makes a group kill atomic with respect to fork, so a forking group cannot outrun it.
BEGIN { $^H |= 0x602 }

our ($OWN_NS, %SHELL, %EXEC_SESSIONS);

# Every live (non-zombie) process visible in /proc, as [pid, ppid, pgid, sid, state]. Processes
# that exit while we read are skipped.
sub list_processes {
  my @out;
  opendir(my $dir, '/proc') or return @out;
  for my $name (readdir $dir) {
    my $first = ord $name;
    next if $first < 48 || $first > 57;
    sysopen(my $fh, "/proc/$name/stat", 0) or next;
    my $stat = '';
    sysread($fh, $stat, 4096) or next;
    # The command name may contain spaces and ')': the fields we want follow the last ')'.
    my $at = rindex($stat, ')');
    next if $at < 0;
    my ($state, $ppid, $pgid, $sid) = split ' ', substr($stat, $at + 2), 5;
    next if !defined $sid || $state eq 'Z' || $state eq 'X';
    push @out, [0 + $name, 0 + $ppid, 0 + $pgid, 0 + $sid, $state];
  }
  return @out;
}

# Repeatedly SIGKILLs what `$select` picks from the process table (it returns [groups], [pids])
# until it picks nothing, or a round limit is hit. Never ourselves or pid 1 (bubblewrap's init
# inside the sandbox, the host's init outside), nor a whole group either of them belongs to.
sub kill_until_gone {
  my ($select, $rounds) = @_;
  my $signalled = 0;
  for (1 .. ($rounds // 50)) {
    my @procs = list_processes();
    my %safe = ($$ => 1, 1 => 1);
    my %safe_groups = map { ($_->[2] => 1) } grep { $safe{$_->[0]} } @procs;
    my ($groups, $pids) = $select->(\@procs);
    my @groups = grep { $_ > 1 && !$safe_groups{$_} } @$groups;
    my @pids = grep { $_ > 1 && !$safe{$_} } @$pids;
    last unless @groups || @pids;
    kill -9, $_ for @groups;
    kill 9, @pids if @pids;
    $signalled += @groups + @pids;
  }
  return $signalled;
}

# The pids descending from `$root` (not including it), following parent links.
sub descendants_of {
  my ($procs, $root) = @_;
  my %children;
  push @{$children{$_->[1]}}, $_->[0] for @$procs;
  my (@out, %seen);
  my @stack = @{$children{$root} // []};
  while (@stack) {
    my $pid = pop @stack;
    next if $seen{$pid}++;
    push @out, $pid;
    push @stack, @{$children{$pid} // []};
  }
  return @out;
}

# Kills everything in session `$sid` (a process started in a session of its own leads it, and
# everything it starts stays in it unless it calls setsid), plus the descendants of `$sid` that
# did call setsid but are still attached by parent link.
sub kill_session {
  my $sid = $_[0];
  return kill_until_gone(sub {
    my $procs = $_[0];
    my %pids = map { ($_ => 1) } descendants_of($procs, $sid);
    my %groups;
    for (@$procs) { $groups{$_->[2]} = 1 if $_->[3] == $sid || $pids{$_->[0]} }
    for (@$procs) { delete $pids{$_->[0]} if $groups{$_->[2]} }
    $pids{$sid} = 1 if grep { $_->[0] == $sid } @$procs;
    return ([keys %groups], [keys %pids]);
  });
}

# Whether a process is one of the shells' (and so may be killed from here). With its own pid
# namespace every process we see belongs to the sandbox, so even one that left with setsid is
# found; otherwise only the shells' sessions are ours. `exec` sessions are never touched.
sub shell_owns {
  my ($p, $bash) = @_;
  return 0 if $p->[0] == $bash || $p->[0] == $$ || $p->[0] == 1 || $EXEC_SESSIONS{$p->[3]};
  return $OWN_NS || $p->[3] == $bash || $SHELL{past}{$p->[3]};
}

# The process groups of the shells' processes right now, bash's own group excluded.
sub shell_groups_now {
  my $bash = $_[0];
  my %groups;
  for (list_processes()) { $groups{$_->[2]} = 1 if $_->[2] != $bash && shell_owns($_, $bash) }
  return \%groups;
}

# Kills every process group that appeared since the command started, and the command
# substitutions running in bash's own group; earlier background jobs are left alone.
sub shell_kill_foreground {
  my ($bash, $before) = @_;
  kill_until_gone(sub {
    my (%groups, @pids);
    for (@{$_[0]}) {
      next unless shell_owns($_, $bash);
      if ($_->[2] == $bash) { push @pids, $_->[0] }
      elsif (!$before->{$_->[2]}) { $groups{$_->[2]} = 1 }
    }
    return ([keys %groups], \@pids);
  });
}

# Kills bash alone, keeping its background jobs (now orphans) known as the shell's.
sub shell_abandon {
  my $proc = $_[0];
  $SHELL{proc} = undef if $SHELL{proc} && $SHELL{proc} == $proc;
  $proc->{abandoned} = 1;
  $SHELL{past}{$proc->{pid}} = 1;
  kill 9, $proc->{pid};
}

# Kills the shell and everything it ever started (background jobs included).
sub shell_kill_all {
  my $proc = $SHELL{proc};
  my $bash = $proc ? $proc->{pid} : -1;
  $proc->{abandoned} = 1 if $proc;
  $SHELL{proc} = undef;
  kill_until_gone(sub {
    my @mine = grep { $_->[0] == $bash || shell_owns($_, $bash) } @{$_[0]};
    my %groups = map { ($_->[2] => 1) } @mine;
    return ([keys %groups], [map { $_->[0] } @mine]);
  });
  $SHELL{past} = {};
}

1;
