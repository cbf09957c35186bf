# Part of the supervisor (see supervisor.pl), loaded on first use: one-off processes from argv
# (no shell), the `exec` op.
#
# The process runs in a session of its own, fed `stdin`; its stdout and stderr are captured apart
# (head mode), and the whole session is killed on timeout, on interrupt and when it exits (daemons
# it left in its session go too). A missing or non-executable program is reported the way a shell
# would (127 / 126), so callers handle one shape of result. While it runs, its session is in
# %EXEC_SESSIONS, which the shell's cleanup leaves alone.
BEGIN { $^H |= 0x602 }

our ($WORKDIR, %EXEC_SESSIONS, $EXEC_EVER);

load('confined-fs.pl');
load('process-tree.pl');

# After the process exits, how long to wait for output still in its pipes (a background child
# may hold them open).
sub EXEC_DRAIN_MS () { 100 }

my %ERRNO_NAMES = (1 => 'EPERM', 7 => 'E2BIG', 8 => 'ENOEXEC', 11 => 'EAGAIN', 12 => 'ENOMEM', 13 => 'EACCES', 20 => 'ENOTDIR', 21 => 'EISDIR', 26 => 'ETXTBSY', 36 => 'ENAMETOOLONG', 40 => 'ELOOP');

sub op_exec {
  my ($req, $ctx) = @_;
  my @argv = ref $req->{argv} eq 'ARRAY' ? map { defined $_ ? "$_" : 'null' } @{$req->{argv}} : ();
  invalid_request('exec needs a non-empty argv') unless @argv;
  my ($cwd) = fs_resolve($req->{cwd} // $WORKDIR);
  my $stdin = defined $req->{stdin} ? b64_decode($req->{stdin}) : '';
  my $run = {
    ctx => $ctx,
    stdout => capture_new($req->{maxOutputBytes}),
    stderr => capture_new($req->{maxOutputBytes}),
    open => 0,
  };
  $EXEC_EVER = 1;
  my ($child, $errno) = spawn_child(\@argv, $cwd);
  if (!$child) {
    my $missing = $errno == 2;
    my $why = $missing ? 'command not found' : "spawn $argv[0] " . ($ERRNO_NAMES{$errno} // do { local $! = $errno; "$!" });
    capture_push($run->{stderr}, "$argv[0]: $why\n");
    return exec_finish($run, $missing ? 127 : 126);
  }
  my $pid = $run->{pid} = $child->{pid};
  $EXEC_SESSIONS{$pid} = 1;
  for my $stream ('stdout', 'stderr') {
    my $fh = $child->{$stream eq 'stdout' ? 'out' : 'err'};
    $run->{fhs}{$stream} = $fh;
    $run->{open}++;
    on_read($fh, sub {
      my $chunk = '';
      my $n = sysread($fh, $chunk, 65536);
      return if !defined $n && ($! == 11 || $! == 4);
      if ($n) {
        capture_push($run->{$stream}, $chunk);
        return;
      }
      drop_fh($fh);
      delete $run->{fhs}{$stream};
      # All output is read once the process has exited and both pipes are closed.
      exec_finish($run, $run->{status}) if --$run->{open} == 0 && exists $run->{status};
    });
  }
  $run->{in} = out_new($child->{in});
  out_write($run->{in}, $stdin);
  out_end($run->{in});
  watch_child($pid, sub {
    $run->{status} = $_[0];
    if ($run->{open} == 0) {
      exec_finish($run, $_[0]);
    } else {
      timer_add(EXEC_DRAIN_MS, sub { exec_finish($run, $run->{status}) });
    }
  });
  $run->{timer} = timer_add($req->{timeoutMs}, sub {
    $run->{timedOut} = 1;
    kill_session($pid);
  });
  $ctx->{on_abort} = sub {
    $run->{interrupted} = 1;
    kill_session($pid);
  };
}

sub exec_finish {
  my ($run, $status) = @_;
  return if $run->{done};
  $run->{done} = 1;
  timer_cancel($run->{timer});
  delete $run->{ctx}{on_abort};
  if (my $pid = $run->{pid}) {
    # Whatever it left running (daemons still in its session) goes too.
    kill_session($pid);
    delete $EXEC_SESSIONS{$pid};
  }
  out_close($run->{in}) if $run->{in};
  drop_fh($_) for values %{$run->{fhs} // {}};
  my $stopped = $run->{timedOut} || $run->{interrupted};
  reply_ok($run->{ctx}, '{"stdout":"' . b64_encode(capture_bytes($run->{stdout})) . '","stderr":"' . b64_encode(capture_bytes($run->{stderr}))
    . '","exitCode":' . jnum($stopped ? undef : $status) . ',"timedOut":' . jbool($run->{timedOut}) . ',"interrupted":' . jbool($run->{interrupted})
    . ',"truncated":' . jbool(capture_truncated($run->{stdout}) || capture_truncated($run->{stderr})) . '}');
}

1;
