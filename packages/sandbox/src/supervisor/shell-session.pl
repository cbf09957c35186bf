# Part of the supervisor (see supervisor.pl), compiled at start-up while bash boots: the
# persistent shell, one long-lived bash over pipes whose working directory, variables and
# functions carry over from one command to the next, and bounded output capture.
#
# Each command is written to bash as one line:
#
#   { eval -- '<command>'
#   } </dev/null >&7 2>&7 7>&-; printf '\n%s%s:%d\0%s\0' <marker> "$?" "$PWD" >&7; export -p >&7; printf '\0%s%s\n' <marker> >&7
#
# - `</dev/null`: a command that reads stdin gets EOF instead of swallowing the next request.
# - `eval` of a quoted string: a syntax error fails that command (status 2), not the wrapper.
# - fd 7 is a copy of the protocol pipe made when the shell starts. Bash undoes the group's own
#   redirections afterwards, so `exec >/dev/null` inside a command cannot silence the frame.
# - The frame carries a random marker (written as two words so it never appears in the input),
#   the exit status, the working directory and the exported variables; whatever precedes it is
#   the command's output (stdout and stderr interleaved, as produced).
# - `set -m` (job control) puts every pipeline in its own process group. That is how a timeout
#   tells the command's processes (groups that did not exist when it started, and helpers in
#   bash's own group) from background jobs of earlier commands, which are left running.
#
# A stopped command (timeout or interrupt) takes the shell with it: killing only its processes
# would let bash carry on with the rest of the command line (`sleep 100; rm -rf build`). The next
# command gets a new bash in the last reported directory with the last reported exports.
BEGIN { $^H |= 0x602 }

our (%CFG, $WORKDIR, %SHELL, $EXEC_EVER);

# After bash exits, how long to wait for output still in the pipe (a background job may hold it open).
sub DRAIN_MS () { 50 }
my $STOPPED_NOTE = "[the command was stopped and the shell restarted; the working directory and exported variables were kept]\n";

# Bounded capture of a process's output: the first `limit` bytes (head mode), or the first and
# last halves of it (head-tail: for a shell the end of a long build log usually says what went
# wrong). A runaway `yes` must not exhaust the sandbox's memory (the supervisor is the process
# the host needs to stay alive).
sub capture_new {
  my ($limit, $head_tail) = @_;
  $limit = 0 + ($limit // 0);
  $limit = $limit >= 0 ? int $limit : 0;
  my $head = $head_tail ? $limit - int($limit / 2) : $limit;
  return { head_tail => $head_tail, head_limit => $head, tail_limit => $limit - $head, head => '', tail => [], tail_bytes => 0, total => 0 };
}

sub capture_push {
  my ($c, $chunk) = @_;
  $c->{total} += length $chunk;
  my $room = $c->{head_limit} - length $c->{head};
  if ($room > 0) {
    $c->{head} .= substr($chunk, 0, $room);
    return if length $chunk <= $room;
    $chunk = substr($chunk, $room);
  }
  return if $chunk eq '' || !$c->{tail_limit};
  my $tail = $c->{tail};
  push @$tail, $chunk;
  $c->{tail_bytes} += length $chunk;
  # Drop whole chunks from the front while the rest still fills the tail, then trim one.
  $c->{tail_bytes} -= length shift @$tail while $c->{tail_bytes} - length($tail->[0]) >= $c->{tail_limit};
  if ($c->{tail_bytes} > $c->{tail_limit}) {
    my $excess = $c->{tail_bytes} - $c->{tail_limit};
    substr($tail->[0], 0, $excess) = '';
    $c->{tail_bytes} -= $excess;
  }
}

# Whether some output was dropped.
sub capture_truncated { $_[0]{total} > length($_[0]{head}) + $_[0]{tail_bytes} }

# The kept bytes; in head-tail mode a marker line says how much was left out between them.
sub capture_bytes {
  my $c = $_[0];
  my $tail = join '', @{$c->{tail}};
  return $c->{head} . $tail if !$c->{head_tail} || !capture_truncated($c);
  my $omitted = $c->{total} - length($c->{head}) - $c->{tail_bytes};
  return "$c->{head}\n[... $omitted bytes of output omitted ...]\n$tail";
}

my $URANDOM;
sub random_hex {
  my $n = $_[0];
  my $bytes = '';
  sysread($URANDOM, $bytes, $n) if $URANDOM || sysopen($URANDOM, '/dev/urandom', 0);
  $bytes .= pack('N', int rand 4294967296) while length $bytes < $n;
  return unpack('H*', substr($bytes, 0, $n));
}

# Starts bash if none is running (lazily: after `exit`, a stopped command or a restart), in its
# own session, in the last reported directory, replaying the last reported exports.
sub shell_start {
  return $SHELL{proc} if $SHELL{proc};
  $SHELL{cwd} = $WORKDIR unless defined $SHELL{cwd} && -d $SHELL{cwd};
  my ($proc) = spawn_child([$CFG{shell}, '--noprofile', '--norc'], $SHELL{cwd}, 1);
  # Without a shell there is nothing to talk to: every command says so at once (EAGAIN at the
  # pids limit, ENOMEM, a missing bash) rather than waiting on a dead pipe until its timeout.
  die "bash could not be started (the sandbox may be at its process or memory limit); end some processes or restart the shell\n" unless $proc;
  return shell_adopt($proc);
}

# Makes a started bash the shell: its output feeds the running command, its exit is watched.
sub shell_adopt {
  my $proc = $_[0];
  my ($out, $err) = @$proc{'out', 'err'};
  $proc->{in} = out_new($proc->{in});
  on_read($out, sub {
    my $chunk = '';
    my $n = sysread($out, $chunk, 65536);
    return if !defined $n && ($! == EAGAIN || $! == EINTR);
    return drop_fh($out) unless $n;
    shell_feed($SHELL{active}, $chunk) if $SHELL{active} && $SHELL{active}{proc} == $proc;
  });
  # Commands write their stderr into the frame's pipe (2>&7); what bash itself writes here are
  # job notices ("[1]+ Terminated ...") that belong to no command: drop them.
  on_read($err, sub {
    my $n = sysread($err, my $junk, 65536);
    drop_fh($err) if defined $n ? !$n : $! != EAGAIN && $! != EINTR;
  });
  watch_child($proc->{pid}, sub { shell_exited($proc, $_[0]) });
  out_write($proc->{in}, "set -m\nexec 7>&1\n$SHELL{exports}\n");
  return $SHELL{proc} = $proc;
}

sub quote_sh { "'" . ($_[0] =~ s/'/'\\''/gr) . "'" }

sub shell_exited {
  my ($proc, $status) = @_;
  $SHELL{proc} = undef if $SHELL{proc} && $SHELL{proc} == $proc;
  out_close($proc->{in});
  # A shell that ended by itself (`exit`) takes its background jobs along.
  if (!$proc->{abandoned}) {
    load('process-tree.pl');
    kill_session($proc->{pid});
  }
  my $active = $SHELL{active};
  timer_add(DRAIN_MS, sub { shell_settle($active, { exitCode => $status }) }) if $active && $active->{proc} == $proc;
}

# The first bash of a supervisor has no process groups before its first command: nothing else
# of the shell's exists yet (the pid namespace holds bwrap's init, us and bash), so the first
# command needs no look at /proc.
sub shell_first_snapshot {
  my $proc = $_[0];
  $SHELL{snapshot} = { pid => $proc->{pid}, groups => {} } if !%{$SHELL{past}} && !$EXEC_EVER && !$SHELL{active};
}

# Takes the snapshot off the round trip: right after a reply, before the next request is read.
sub shell_snapshot_later {
  my $proc = $_[0];
  defer(sub {
    return if $SHELL{active} || !$SHELL{proc} || $SHELL{proc} != $proc;
    load('process-tree.pl');
    $SHELL{snapshot} = { pid => $proc->{pid}, groups => shell_groups_now($proc->{pid}) };
  });
}

sub shell_enqueue {
  push @{$SHELL{queue}}, $_[0];
  shell_next();
}

sub shell_next {
  while (!$SHELL{busy} && (my $job = shift @{$SHELL{queue}})) {
    if ($job->{restart}) {
      # A fresh shell: workdir, the initial environment, no jobs.
      load('process-tree.pl');
      shell_kill_all();
      $SHELL{cwd} = $WORKDIR;
      $SHELL{exports} = '';
      if (eval { shell_start(); 1 }) {
        reply_ok($job->{ctx}, '{}');
      } else {
        reply_err($job->{ctx}, $@);
      }
      next;
    }
    $SHELL{busy} = 1;
    next if eval { shell_run($job); 1 };
    $SHELL{busy} = 0;
    reply_err($job->{ctx}, $@);
  }
}

sub shell_run {
  my $job = $_[0];
  my $ctx = $job->{ctx};
  if ($ctx->{aborted}) {
    $SHELL{busy} = 0;
    return reply_ok($ctx, '{"output":"","exitCode":null,"timedOut":false,"interrupted":true,"truncated":false,"cwd":' . jstr($SHELL{cwd}) . '}');
  }
  my $proc = shell_start();
  my $bash = $proc->{pid};
  my $snapshot = $SHELL{snapshot};
  my $before = $snapshot && $snapshot->{pid} == $bash ? $snapshot->{groups} : do { load('process-tree.pl'); shell_groups_now($bash) };
  $SHELL{snapshot} = undef;
  my $marker = '__LH_' . random_hex(12);
  my $split = "'" . substr($marker, 0, 3) . "' '" . substr($marker, 3) . "'";
  my $active = $SHELL{active} = {
    proc => $proc, ctx => $ctx, before => $before, capture => capture_new($job->{max}, 1),
    start => "\n$marker:", end => "\0$marker\n", held => '', found => 0,
  };
  my $command = $job->{command} =~ tr/\0//dr;
  out_write($proc->{in}, '{ eval -- ' . quote_sh($command) . "\n} </dev/null >&7 2>&7 7>&-; "
    . "printf '\\n%s%s:%d\\0%s\\0' $split \"\$?\" \"\$PWD\" >&7; export -p >&7; printf '\\0%s%s\\n' $split >&7\n");
  my $timeout = 0 + ($job->{timeout} // 0);
  $active->{timer} = timer_add($timeout > 0 ? $timeout : 0, sub { shell_settle($active, undef, 'timedOut') });
  $ctx->{on_abort} = sub { shell_settle($active, undef, 'interrupted') };
}

sub shell_feed {
  my ($a, $chunk) = @_;
  $a->{held} .= $chunk;
  if (!$a->{found}) {
    my $at = index($a->{held}, $a->{start});
    if ($at < 0) {
      # Keep just enough to recognise a start marker split across two reads.
      my $keep = length($a->{start}) - 1;
      $keep = length $a->{held} if $keep > length $a->{held};
      capture_push($a->{capture}, substr($a->{held}, 0, length($a->{held}) - $keep, ''));
      return;
    }
    capture_push($a->{capture}, substr($a->{held}, 0, $at));
    $a->{held} = substr($a->{held}, $at + length $a->{start});
    $a->{found} = 1;
  }
  my $stop = index($a->{held}, $a->{end});
  return if $stop < 0;
  my ($status, $cwd, $exports) = split /\0/, substr($a->{held}, 0, $stop), 3;
  $status = ($status // '') =~ /^(-?[0-9]+)/ ? 0 + $1 : undef;
  shell_settle($a, { exitCode => $status, cwd => $cwd // '', exports => $exports // '' });
}

# Ends the running command with what its frame said, with bash's exit status, or stopped.
sub shell_settle {
  my ($a, $outcome, $stopped) = @_;
  return if $a->{done};
  $a->{done} = 1;
  timer_cancel($a->{timer});
  delete $a->{ctx}{on_abort};
  $SHELL{active} = undef if $SHELL{active} && $SHELL{active} == $a;
  my $proc = $a->{proc};
  my $note = '';
  if ($outcome) {
    $SHELL{cwd} = $outcome->{cwd} if defined $outcome->{cwd};
    $SHELL{exports} = $outcome->{exports} if defined $outcome->{exports};
    shell_snapshot_later($proc);
  } else {
    load('process-tree.pl');
    # bash first: once its foreground job dies it would go on with the rest of the line.
    shell_abandon($proc);
    shell_kill_foreground($proc->{pid}, $a->{before});
    $note = $STOPPED_NOTE;
  }
  # Without a frame, what was held back in case it began a split start marker is output too.
  capture_push($a->{capture}, $a->{held}) if !$a->{found} && $a->{held} ne '';
  my $output = capture_bytes($a->{capture});
  $output .= "\n" if $note ne '' && $output ne '' && substr($output, -1) ne "\n";
  $SHELL{busy} = 0;
  $stopped //= '';
  reply_ok($a->{ctx}, '{"output":' . jstr($output . $note) . ',"exitCode":' . jnum($outcome ? $outcome->{exitCode} : undef)
    . ',"timedOut":' . jbool($stopped eq 'timedOut') . ',"interrupted":' . jbool($stopped eq 'interrupted')
    . ',"truncated":' . jbool(capture_truncated($a->{capture})) . ',"cwd":' . jstr($SHELL{cwd}) . '}');
  shell_next();
}

1;
