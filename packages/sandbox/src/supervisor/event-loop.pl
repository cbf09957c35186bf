# Part of the supervisor (see supervisor.pl), compiled right after `ready` while bash boots: the
# event loop (readers and writers by descriptor, timers, children, deferred work), buffered
# non-blocking output, JSON encoding, and the requests.
BEGIN { $^H |= 0x602 }

our (%CFG, $WORKDIR, %EXEC_SESSIONS, %INFLIGHT, %SHELL, $SYS_CLOCK);

# ---------------------------------------------------------------------------------------------
# JSON encoding

my %ESCAPE = ('"' => '\"', '\\' => '\\\\', "\n" => '\n', "\r" => '\r', "\t" => '\t', "\b" => '\b', "\f" => '\f');
$ESCAPE{chr $_} //= sprintf('\u%04x', $_) for 0 .. 31;
my $UTF8_CLEAN;

# A JSON string of bytes: invalid UTF-8 replaced, quotes and control characters escaped.
sub jstr {
  my $s = $_[0] // '';
  $s = utf8_clean($s) if $s =~ tr/\x80-\xFF//;
  $s =~ s/([\x00-\x1F"\\])/$ESCAPE{$1}/g if $s =~ tr/\x00-\x1F"\\//;
  return qq("$s");
}

sub jbool { $_[0] ? 'true' : 'false' }
sub jnum { defined $_[0] ? 0 + $_[0] : 'null' }

# A decoded value back to JSON (a decoded number is told from a string by how `^` treats it:
# numerically, giving 0, or character by character).
sub jany {
  my $v = $_[0];
  return 'null' unless defined $v;
  if (!ref $v) {
    return jstr($v) unless ($v ^ $v) eq '0';
    my $n = 0 + $v;
    return $n == int $n ? $n : sprintf('%.17g', $n);
  }
  return '[' . join(',', map { jany($_) } @$v) . ']' if ref $v eq 'ARRAY';
  return '{' . join(',', map { jstr($_) . ':' . jany($v->{$_}) } sort keys %$v) . '}' if ref $v eq 'HASH';
  return 'null';
}

# Replaces each maximal invalid subsequence with U+FFFD (the WHATWG decoder's rule, node's too).
# The pattern is compiled on first use: most output is ASCII.
sub utf8_clean {
  my $s = $_[0];
  $UTF8_CLEAN //= do {
    my $valid = '[\x00-\x7F]++|[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}|\xED[\x80-\x9F][\x80-\xBF]'
      . '|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2}';
    my $invalid = '[\xC2-\xDF]|\xE0[\xA0-\xBF]?|[\xE1-\xEC\xEE\xEF][\x80-\xBF]?|\xED[\x80-\x9F]?|\xF0(?:[\x90-\xBF][\x80-\xBF]?)?'
      . '|[\xF1-\xF3](?:[\x80-\xBF][\x80-\xBF]?)?|\xF4(?:[\x80-\x8F][\x80-\xBF]?)?|[\x80-\xFF]';
    qr/((?:$valid)+)|(?:$invalid)/;
  };
  $s =~ s/$UTF8_CLEAN/defined $1 ? $1 : "\xEF\xBF\xBD"/ge;
  return $s;
}

# ---------------------------------------------------------------------------------------------
# The event loop: readers and writers by descriptor, timers, children, deferred work.

my (%RD, %WR, %TIMERS, %CHILDREN, @DEFER);
my $TIMER_SEQ = 0;
my $TS = "\0" x 16;

# Milliseconds of a monotonic clock (perl's `time` has whole seconds only).
sub now_ms {
  if ($SYS_CLOCK && syscall($SYS_CLOCK, 1, $TS) == 0) {
    my ($s, $ns) = unpack('q q', $TS);
    return $s * 1000 + $ns / 1e6;
  }
  my $t = '';
  if (sysopen(my $uptime, '/proc/uptime', 0)) { sysread($uptime, $t, 64) }
  return $t ne '' ? 1000 * (split ' ', $t)[0] : 1000 * time;
}

sub on_read { $RD{fileno $_[0]} = [$_[1]] }
sub off_read { delete $RD{fileno $_[0]} if defined fileno $_[0] }

# Stops watching a handle and closes it.
sub drop_fh {
  my $fd = fileno $_[0];
  return unless defined $fd;
  delete $RD{$fd};
  delete $WR{$fd};
  close $_[0];
}

# Runs `$cb` in `$ms` milliseconds (like setTimeout: at least 1, at most 2^31 - 1).
sub timer_add {
  my ($ms, $cb) = @_;
  $ms = 0 + ($ms // 0);
  $ms = 2147483647 if $ms > 2147483647;
  $ms = 1 unless $ms >= 1;
  $TIMERS{++$TIMER_SEQ} = [now_ms() + $ms, $cb];
  return $TIMER_SEQ;
}
sub timer_cancel { delete $TIMERS{$_[0]} if defined $_[0] }
# Runs `$cb` once the current round of events is handled (and the replies it made are written).
sub defer { push @DEFER, $_[0] }
sub watch_child { $CHILDREN{$_[0]} = $_[1] }

# Runs a callback; a failure is reported on stderr and never ends the supervisor.
sub guarded {
  my ($cb, @args) = @_;
  return if eval { $cb->(@args); 1 };
  my $err = $@;
  note(ref $err eq 'HASH' ? $err->{message} : "$err" =~ s/\s+\z//r);
}

sub reap {
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    my $status = $?;
    my $cb = delete $CHILDREN{$pid};
    guarded($cb, $status & 127 ? 128 + ($status & 127) : $status >> 8) if $cb;
  }
}

sub run_loop {
  while (1) {
    while (my $task = shift @DEFER) { guarded($task) }
    my ($rin, $win) = ('', '');
    vec($rin, $_, 1) = 1 for keys %RD;
    vec($win, $_, 1) = 1 for keys %WR;
    # (Children's exits wake select through the SIGCHLD pipe; the timeout is a backstop.)
    my $timeout = $SHELL{active} || %EXEC_SESSIONS ? 0.1 : 1;
    if (%TIMERS) {
      my $now = now_ms();
      for (values %TIMERS) {
        my $left = ($_->[0] - $now) / 1000;
        $timeout = $left if $left < $timeout;
      }
      $timeout = 0 if $timeout < 0;
    }
    my (%rd, %wr);
    %rd = %RD;
    %wr = %WR if %WR;
    my $n = select(length $rin ? $rin : undef, length $win ? $win : undef, undef, $timeout);
    reap();
    if ($n > 0) {
      for my $fd (keys %wr) {
        guarded($wr{$fd}[0]) if vec($win, $fd, 1) && $WR{$fd} && $WR{$fd} == $wr{$fd};
      }
      for my $fd (keys %rd) {
        guarded($rd{$fd}[0]) if vec($rin, $fd, 1) && $RD{$fd} && $RD{$fd} == $rd{$fd};
      }
    }
    next unless %TIMERS;
    my $now = now_ms();
    for my $id (sort { $TIMERS{$a}[0] <=> $TIMERS{$b}[0] || $a <=> $b } grep { $TIMERS{$_}[0] <= $now } keys %TIMERS) {
      my $timer = delete $TIMERS{$id} or next;
      guarded($timer->[1]);
    }
  }
}

# Buffered output to a non-blocking descriptor: what the descriptor cannot take now waits for
# select to say it can, so a full pipe never stops the loop. Options: on_error (the reader went
# away), on_drain (everything queued is written).
sub out_new {
  my ($fh, %options) = @_;
  nonblocking($fh);
  return { fh => $fh, fd => fileno $fh, q => [], off => 0, bytes => 0, %options };
}

sub out_write {
  my ($o, $data) = @_;
  return if $o->{dead} || $o->{ending} || !length $data;
  push @{$o->{q}}, $data;
  $o->{bytes} += length $data;
  out_flush($o) unless $o->{waiting};
}

# Closes (or, for a socket, shuts down for writing) once everything queued is written.
sub out_end {
  my ($o, $shutdown) = @_;
  return if $o->{dead} || $o->{ending};
  $o->{ending} = $shutdown ? 'shutdown' : 'close';
  out_flush($o) unless $o->{waiting};
}

sub out_flush {
  my $o = $_[0];
  return if $o->{dead};
  my $q = $o->{q};
  while (@$q) {
    my $n = syswrite($o->{fh}, $q->[0], length($q->[0]) - $o->{off}, $o->{off});
    if (!defined $n) {
      return out_fail($o) if $! != EAGAIN && $! != EINTR;
      $WR{$o->{fd}} = $o->{waiting} = [sub { out_flush($o) }] unless $o->{waiting};
      return;
    }
    $o->{off} += $n;
    $o->{bytes} -= $n;
    next if $o->{off} < length $q->[0];
    shift @$q;
    $o->{off} = 0;
  }
  if ($o->{waiting}) {
    delete $WR{$o->{fd}} if $WR{$o->{fd}} && $WR{$o->{fd}} == $o->{waiting};
    $o->{waiting} = undef;
  }
  if ($o->{ending}) {
    $o->{dead} = 1;
    if ($o->{ending} eq 'shutdown') { shutdown($o->{fh}, 1) } else { close $o->{fh} }
  }
  $o->{on_drain}->() if $o->{on_drain};
}

# Drops what is queued (the reader went away, or the descriptor failed).
sub out_fail {
  my $o = $_[0];
  return if $o->{dead};
  $o->{dead} = 1;
  @{$o->{q}} = ();
  $o->{bytes} = 0;
  delete $WR{$o->{fd}} if $o->{waiting} && $WR{$o->{fd}} && $WR{$o->{fd}} == $o->{waiting};
  $o->{waiting} = undef;
  $o->{on_error}->() if $o->{on_error};
}

# Closes an output without writing what is still queued.
sub out_close {
  my $o = $_[0];
  my $was = $o->{dead};
  out_fail($o);
  close $o->{fh} unless $was;
}

my $STDOUT;
sub send_line { out_write($STDOUT, "$_[0]\n") }

# Starts serving: responses go out through a buffer, requests come in on stdin.
sub loop_start {
  $STDOUT = out_new(\*STDOUT);
  nonblocking(\*STDIN);
  on_read(\*STDIN, \&on_stdin);
  # A child's exit wakes the loop at once: the handler writes to a pipe that select watches. (A
  # SIGCHLD arriving between the last reap and select runs the handler before select blocks, so
  # an exec's answer never waits for select's timeout.)
  pipe(my $wake_r, my $wake_w) or die "pipe: $!";
  nonblocking($_) for $wake_r, $wake_w;
  $SIG{CHLD} = sub { syswrite($wake_w, 'x') };
  on_read($wake_r, sub { sysread($wake_r, my $drain, 512) });
}

# ---------------------------------------------------------------------------------------------
# Requests

sub respond {
  my ($ctx, $body) = @_;
  delete $INFLIGHT{$ctx->{key}} if $INFLIGHT{$ctx->{key}} && $INFLIGHT{$ctx->{key}} == $ctx;
  send_line(defined $ctx->{id} ? qq({"id":$ctx->{id},$body}) : "{$body}");
}

sub reply_ok { respond($_[0], qq("ok":true,"result":$_[1])) }

# Our failures carry a lowercase code (`not_found`); anything else is an io_error.
sub reply_err {
  my ($ctx, $err) = @_;
  my ($code, $message) = ref $err eq 'HASH' ? ($err->{code}, $err->{message}) : ('io_error', "$err" =~ s/ at \S+ line \d+\.?\n?\z//r =~ s/\s+\z//r);
  $code = 'io_error' unless defined $code && $code =~ /^[a-z_]+\z/;
  respond($ctx, '"ok":false,"error":{"code":' . jstr($code) . ',"message":' . jstr($message) . '}');
}

sub invalid_request { die { code => 'invalid_request', message => $_[0] } }

my %OPS = (
  ping => sub { reply_ok($_[1], '{}') },
  shell => sub {
    my ($req, $ctx) = @_;
    shell_enqueue({ ctx => $ctx, command => $req->{command} // 'undefined', timeout => $req->{timeoutMs}, max => $req->{maxOutputBytes} });
  },
  restartShell => sub { shell_enqueue({ ctx => $_[1], restart => 1 }) },
  exec => sub { load('run-process.pl'); op_exec(@_) },
  readFile => sub { load('confined-fs.pl'); op_read_file(@_) },
  writeFile => sub { load('confined-fs.pl'); op_write_file(@_) },
  stat => sub { load('confined-fs.pl'); op_stat(@_) },
  cancel => sub {
    my ($req, $ctx) = @_;
    my $target = $INFLIGHT{$req->{target} // ''};
    if ($target && !$target->{aborted}) {
      $target->{aborted} = 1;
      my $abort = delete $target->{on_abort};
      $abort->() if $abort;
    }
    reply_ok($ctx, '{}');
  },
);

sub on_line {
  my $line = $_[0];
  return unless $line =~ tr/ \t\r\n//c;
  my $req = eval { json_decode($line) };
  return note('ignoring a request that is not JSON') if $@;
  return note('ignoring a request that is null') unless defined $req;
  $req = {} if ref $req ne 'HASH';
  my $ctx = { id => defined $req->{id} ? jany($req->{id}) : undef, key => $req->{id} // '' };
  $INFLIGHT{$ctx->{key}} = $ctx;
  my $op = defined $req->{op} && !ref $req->{op} ? $OPS{$req->{op}} : undef;
  my $ok = eval {
    invalid_request('unknown op ' . (defined $req->{op} ? jany($req->{op}) : 'undefined')) unless $op;
    $op->($req, $ctx);
    1;
  };
  reply_err($ctx, $@) unless $ok;
}

# Splits stdin on newlines, scanning only what is new: a written file can be one line of many
# megabytes arriving in pieces.
my $INBUF = '';
my $SCANNED = 0;
sub on_stdin {
  my $n = sysread(STDIN, $INBUF, 1 << 20, length $INBUF);
  return if !defined $n && ($! == EAGAIN || $! == EINTR);
  return shut_down() unless $n;
  while ((my $nl = index($INBUF, "\n", $SCANNED)) >= 0) {
    my $line = substr($INBUF, 0, $nl + 1, '');
    $SCANNED = 0;
    chop $line;
    on_line($line);
  }
  $SCANNED = length $INBUF;
}

# The host went away: take everything down with us.
sub shut_down {
  load('process-tree.pl');
  shell_kill_all();
  kill_session($_) for keys %EXEC_SESSIONS;
  CORE::exit(0);
}

1;
