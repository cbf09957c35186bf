#!/usr/bin/perl
# The in-sandbox supervisor: one long-lived process per sandbox, started by the host (inside
# bubblewrap, or directly for the unsandboxed provider), speaking newline-delimited JSON over its
# stdin (requests) and stdout (responses).
#
# Usage: perl supervisor.pl '<config json>'
#   config: {workdir, roots: [{path, writable}], shell, ownPidNamespace, proxy?: {socketPath, host, port},
#            env?: {name: value} (set for the shell and exec only: what perl itself would read)}
#
# Perl on purpose: every sandbox resume waits for this process to start, and perl starts in about
# 5 ms where node takes 40. Only perl-base (Debian's Essential package) is used, and no module at
# start-up: the loop is builtins (select, sysread, syswrite, fork, exec, waitpid, kill, syscall)
# and a small JSON codec. Compiling costs as well (perl's parser spends about 20k instructions on
# a line of code), so this file holds only what comes before `ready` and the start of bash; the
# files next to it are compiled later:
#   event-loop.pl     the loop, buffered output, JSON encoding, the requests   } right after `ready`,
#   shell-session.pl  the persistent shell, output capture                    } while bash boots
#   process-tree.pl   finding and killing processes (/proc)                     on first use
#   confined-fs.pl    readFile, writeFile, stat, base64                         on first use
#   run-process.pl    exec                                                      on first use
#   proxy-relay.pl    the egress relay                                          before `ready`, if configured
#
# Requests  {"id": 7, "op": "shell", ...}         ids are chosen by the host; many may be in flight
# Responses {"id": 7, "ok": true, "result": ...}  or {"id": 7, "ok": false, "error": {code, message}}
# Events    {"event": "ready", "pid": 2, "proxyPort": 3128}   once, when requests will be served
#
# Ops (binary data travels as base64):
#   shell {command, timeoutMs, maxOutputBytes}   -> {output, exitCode, timedOut, interrupted, truncated, cwd}
#   restartShell {}                              -> {}
#   exec {argv, stdin?, cwd?, timeoutMs, maxOutputBytes} -> {stdout, stderr, exitCode, timedOut, interrupted, truncated}
#   readFile {path, maxBytes}                    -> {data}
#   writeFile {path, data}                       -> {}
#   stat {path}                                  -> {info: FileInfo | null}
#   cancel {target}                              -> {}   aborts request `target` (interrupt)
#   ping {}                                      -> {}
#
# Shell commands run one at a time in arrival order; everything else runs alongside them. Strings
# are bytes throughout; what goes out as JSON text is made valid UTF-8 first (an invalid sequence
# becomes U+FFFD, as node's decoder does).

# `use strict` without loading strict.pm (refs, subs and vars: the bits its import sets).
BEGIN { $^H |= 0x602 }

# Linux numbers, the same on x86_64 and aarch64 (the architectures the seccomp filter knows).
sub EINTR () { 4 }
sub EAGAIN () { 11 }
sub WNOHANG () { 1 }
sub F_GETFL () { 3 }
sub F_SETFL () { 4 }
sub O_NONBLOCK () { 0x800 }

our $DIR = rindex($0, '/') >= 0 ? substr($0, 0, rindex($0, '/')) : '.';
our (%CFG, $WORKDIR, $OWN_NS);
# Sessions of running `exec` processes: the shell's cleanup leaves them alone.
our %EXEC_SESSIONS;
# Whether any `exec` ever ran (its leftovers could be in the pid namespace).
our $EXEC_EVER;
# Requests that can still be cancelled, by id.
our %INFLIGHT;
# The persistent shell's state (see shell-session.pl).
our %SHELL = (
  cwd => undef,       # last working directory the shell reported; a replacement starts there
  exports => '',      # last `export -p` the shell reported; a replacement replays it
  proc => undef,      # the running bash: {pid, in, out, err, abandoned}
  past => {},         # sessions of earlier shells whose background jobs were left running
  queue => [],        # shell and restartShell requests, run one at a time in arrival order
  busy => 0,
  active => undef,    # the command running now
  snapshot => undef,  # {pid, groups}: the shell's process groups as of the end of the last command
);
# System call numbers perl has no builtin for, by the ELF machine of the running perl.
our ($SYS_CLOCK, $SYS_SETSID, $SYS_STATX);

sub load { require "$DIR/$_[0]" }
sub note { syswrite(STDERR, "supervisor: $_[0]\n") }

# ---------------------------------------------------------------------------------------------
# JSON

# Decodes one JSON text, token by token. Strings come back as UTF-8 bytes, numbers as numbers,
# true and false as 1 and 0. Dies on anything that is not JSON. A string's end is found with
# index, not a regex: a written file is one string of many megabytes.
sub json_decode {
  my $text = $_[0];
  my (@stack, $root, $key, $container);
  # What may come next: a value, a key, ':', or ',' and closers (after a value).
  my $want = 'value';
  my $fresh = 0;
  while (1) {
    $text =~ /\G[ \t\r\n]*(?:(")|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)|(true|false|null)|([\[\]{},:])|(\z))/gc or die "not JSON\n";
    my $value;
    if (defined $4) {
      my $p = $4;
      if ($p eq '{' || $p eq '[') {
        die "not JSON\n" if $want ne 'value';
        push @stack, [$container, $key];
        $container = $p eq '{' ? {} : [];
        ($want, $fresh) = ($p eq '{' ? 'key' : 'value', 1);
        next;
      }
      if ($p eq '}' || $p eq ']') {
        die "not JSON\n" unless $container && ref $container eq ($p eq '}' ? 'HASH' : 'ARRAY') && ($want eq 'after' || $fresh);
        $value = $container;
        ($container, $key) = @{pop @stack};
      } elsif ($p eq ',') {
        die "not JSON\n" unless $container && $want eq 'after';
        ($want, $fresh) = (ref $container eq 'HASH' ? 'key' : 'value', 0);
        next;
      } else {
        die "not JSON\n" if $want ne 'colon';
        $want = 'value';
        next;
      }
    } elsif (defined $1) {
      # The first quote not escaped by an odd number of backslashes ends the string.
      my $start = pos $text;
      my $end = $start - 1;
      while (1) {
        $end = index($text, '"', $end + 1);
        die "not JSON\n" if $end < 0;
        my $before = $end - 1;
        $before-- while $before >= $start && substr($text, $before, 1) eq '\\';
        last if ($end - 1 - $before) % 2 == 0;
      }
      $value = substr($text, $start, $end - $start);
      pos($text) = $end + 1;
      $value = json_unescape($value) if index($value, '\\') >= 0;
      if ($want eq 'key') {
        ($key, $want, $fresh) = ($value, 'colon', 0);
        next;
      }
      die "not JSON\n" if $want ne 'value';
    } elsif (defined $5) {
      die "not JSON\n" if @stack || $want ne 'after';
      return $root;
    } else {
      die "not JSON\n" if $want ne 'value';
      $value = defined $2 ? 0 + $2 : $3 eq 'true' ? 1 : $3 eq 'false' ? 0 : undef;
    }
    if (!$container) {
      die "not JSON\n" if @stack;
      $root = $value;
    } elsif (ref $container eq 'HASH') {
      $container->{$key} = $value;
    } else {
      push @$container, $value;
    }
    ($want, $fresh) = ('after', 0);
  }
}

my %UNESCAPE = ('"' => '"', '\\' => '\\', '/' => '/', b => "\b", f => "\f", n => "\n", r => "\r", t => "\t");

sub json_unescape {
  my $s = $_[0];
  $s =~ s/\\(u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4})?|.)/length $1 > 1 ? json_code_points($1) : $UNESCAPE{$1} \/\/ die "not JSON\n"/gse;
  return $s;
}

# `u` escapes as UTF-8 bytes; a pair of surrogates is one character, a lone one U+FFFD (what
# node writes for one).
sub json_code_points {
  my ($hi, $lo) = map { hex } $_[0] =~ /u(....)/g;
  if (defined $lo && $hi >= 0xD800 && $hi <= 0xDBFF && $lo >= 0xDC00 && $lo <= 0xDFFF) {
    ($hi, $lo) = (0x10000 + (($hi - 0xD800) << 10) + ($lo - 0xDC00), undef);
  }
  my $out = '';
  for my $cp (grep { defined } $hi, $lo) {
    my $c = $cp >= 0xD800 && $cp <= 0xDFFF ? 0xFFFD : $cp;
    $c = chr $c;
    utf8::encode($c);
    $out .= $c;
  }
  return $out;
}

# ---------------------------------------------------------------------------------------------
# Processes

# Starts `argv` in a session of its own with piped stdin, stdout and stderr. Returns
# ({pid, in, out, err}) or (undef, errno) when it could not be started (fork failed, or exec:
# the child reports its errno on a close-on-exec pipe, so a missing program is known at once).
# With `$later`, returns before the exec is known to have worked (it takes a millisecond or two):
# spawn_wait says.
sub spawn_child {
  my ($argv, $cwd, $oom, $later) = @_;
  my @fds;
  for (1 .. 4) {
    pipe(my $r, my $w) or return (undef, 0 + $!);
    push @fds, $r, $w;
  }
  my ($in_r, $in_w, $out_r, $out_w, $err_r, $err_w, $st_r, $st_w) = @fds;
  my @command = @$argv;
  unshift @command, '/usr/bin/setsid' unless $SYS_SETSID;
  my $pid = fork;
  return (undef, 0 + $!) unless defined $pid;
  if ($pid == 0) {
    my $errno = 0;
    eval {
      $SIG{PIPE} = $SIG{CHLD} = 'DEFAULT';
      syscall($SYS_SETSID) if $SYS_SETSID;
      if ($oom && sysopen(my $adj, '/proc/self/oom_score_adj', 1)) {
        # Under memory pressure the kernel should pick the user's command, not the supervisor.
        syswrite($adj, '500');
      }
      chdir $cwd or die \(0 + $!);
      open(STDIN, '<&', $in_r) && open(STDOUT, '>&', $out_w) && open(STDERR, '>&', $err_w) or die \(0 + $!);
      exec { $command[0] } @command or $errno = 0 + $!;
    };
    $errno ||= ref $@ eq 'SCALAR' ? ${$@} : 5;
    syswrite($st_w, pack('L', $errno || 5));
    CORE::exit(127);
  }
  close $_ for $in_r, $out_w, $err_w, $st_w;
  nonblocking($_) for $out_r, $err_r;
  my $child = { pid => $pid, in => $in_w, out => $out_r, err => $err_r, status => $st_r };
  return $later ? ($child) : spawn_wait($child);
}

# Waits until a spawned child has exec'd: returns ($child), or (undef, errno) if it could not.
sub spawn_wait {
  my $child = $_[0];
  my $st = delete $child->{status} or return ($child);
  my $errno = '';
  1 while !defined sysread($st, $errno, 4) && $! == EINTR;
  close $st;
  return ($child) if length $errno != 4;
  1 while waitpid($child->{pid}, 0) < 0 && $! == EINTR;
  close $_ for @$child{'in', 'out', 'err'};
  return (undef, unpack('L', $errno));
}

# ---------------------------------------------------------------------------------------------
# Start-up

sub nonblocking {
  my $flags = fcntl($_[0], F_GETFL, 0);
  fcntl($_[0], F_SETFL, (0 + ($flags // 0)) | O_NONBLOCK);
}

sub set_proxy_env {
  $ENV{$_} = $_[0] for qw(HTTP_PROXY HTTPS_PROXY http_proxy https_proxy);
  $ENV{$_} = 'localhost,127.0.0.1,::1' for qw(NO_PROXY no_proxy);
}

sub main {
  my $config = eval { json_decode($ARGV[0] // '{}') };
  if (ref $config ne 'HASH') {
    note('cannot start: the configuration is not a JSON object');
    CORE::exit(1);
  }
  %CFG = %$config;
  $SHELL{cwd} = $WORKDIR = $CFG{workdir};
  $OWN_NS = $CFG{ownPidNamespace};
  # Variables perl itself reads at start (PERL5OPT, PERLIO…) come here, for the shell and exec only.
  if (ref $CFG{env} eq 'HASH') { $ENV{$_} = $CFG{env}{$_} for keys %{ $CFG{env} } }
  if (sysopen(my $exe, '/proc/self/exe', 0)) {
    my $elf = '';
    sysread($exe, $elf, 20);
    my $machine = length $elf == 20 ? unpack('x18 v', $elf) : 0;
    ($SYS_CLOCK, $SYS_SETSID, $SYS_STATX) = $machine == 62 ? (228, 112, 332) : $machine == 183 ? (113, 157, 291) : ();
  }
  $SIG{PIPE} = 'IGNORE';
  # Interrupts select (event-loop.pl makes it write to a wake-up pipe); children are reaped after
  # every wake-up.
  $SIG{CHLD} = sub {};
  my $proxy = ref $CFG{proxy} eq 'HASH' ? $CFG{proxy} : undef;
  # A fixed relay port is known before it listens, so the shell can start with it right away.
  set_proxy_env("http://$proxy->{host}:$proxy->{port}") if $proxy && $proxy->{port};
  my $proxy_port;
  if ($proxy) {
    load('event-loop.pl');
    load('proxy-relay.pl');
    $proxy_port = eval { proxy_start($proxy) };
    if (!defined $proxy_port) {
      note('cannot start: ' . ("$@" =~ s/\s+\z//r));
      CORE::exit(1);
    }
    # The unsandboxed provider cannot count on a free 3128: the shell learns the real port.
    set_proxy_env("http://$proxy->{host}:$proxy_port") unless $proxy->{port};
  }
  # Nothing was written yet: the line fits in the empty pipe.
  syswrite(STDOUT, '{"event":"ready","pid":' . $$ . (defined $proxy_port ? qq(,"proxyPort":$proxy_port}\n) : "}\n"));
  # After `ready`: the host settles the sandbox's cgroup while bash boots and the rest of the
  # supervisor compiles. The first command finds the shell running (or starts it, and says why
  # if it cannot).
  my ($bash) = -d $WORKDIR ? spawn_child([$CFG{shell}, '--noprofile', '--norc'], $WORKDIR, 1, 'later') : ();
  load('event-loop.pl');
  load('shell-session.pl');
  loop_start();
  ($bash) = spawn_wait($bash) if $bash;
  if ($bash) {
    shell_adopt($bash);
    shell_first_snapshot($bash);
  }
  run_loop();
}

main();
