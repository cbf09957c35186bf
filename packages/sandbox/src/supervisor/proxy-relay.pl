# Part of the supervisor (see supervisor.pl), loaded before `ready` when the sandbox has an egress
# proxy: the sandbox's only way out. A TCP listener on loopback inside the sandbox's network
# namespace whose connections are piped, byte for byte, to the host's egress proxy over a Unix
# socket bound into the sandbox. The relay decides nothing; the proxy on the host applies the
# policy.
BEGIN { $^H |= 0x602 }

# Linux socket numbers (the same on x86_64 and aarch64).
sub AF_UNIX () { 1 }
sub AF_INET () { 2 }
sub SOCK_STREAM () { 1 }
sub SOL_SOCKET () { 1 }
sub SO_REUSEADDR () { 2 }
# Bytes queued towards one side before the relay stops reading from the other.
sub RELAY_HIGH_WATER () { 256 * 1024 }

# Starts the relay and returns the port it listens on (useful when `port` is 0, as in the
# unsandboxed provider where 3128 may be taken). Dies when it cannot listen.
sub proxy_start {
  my ($options) = @_;
  my @address = ($options->{host} // '') =~ /^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)$/ or die "the relay needs an IPv4 address, not $options->{host}\n";
  my $port = 0 + ($options->{port} // 0);
  socket(my $server, AF_INET, SOCK_STREAM, 0) or die "socket: $!\n";
  setsockopt($server, SOL_SOCKET, SO_REUSEADDR, pack('i', 1));
  bind($server, pack('S n C4 x8', AF_INET, $port, @address)) or die "listen $options->{host}:$port: $!\n";
  listen($server, 511) or die "listen $options->{host}:$port: $!\n";
  nonblocking($server);
  my $path = '' . $options->{socketPath};
  on_read($server, sub {
    while (accept(my $client, $server)) { relay($client, $path) }
  });
  return (unpack('S n', getsockname($server)))[1];
}

sub relay {
  my ($client, $path) = @_;
  nonblocking($client);
  my $upstream;
  my $ok = socket($upstream, AF_UNIX, SOCK_STREAM, 0);
  if ($ok) {
    nonblocking($upstream);
    $ok = connect($upstream, pack('S Z108', AF_UNIX, $path));
  }
  if (!$ok) {
    close $upstream if $upstream;
    close $client;
    return;
  }
  my $pair = {};
  # Closes both sides now; queued bytes are dropped (an error on either side, or both are done).
  my $close = sub {
    return if $pair->{closed}++;
    for my $side (grep { $_ } delete @$pair{'client', 'upstream'}) {
      delete @{$side->{out}}{qw(on_drain on_error)};
      out_fail($side->{out});
      drop_fh($side->{fh});
    }
  };
  $pair->{client} = { fh => $client, out => out_new($client, on_error => $close) };
  $pair->{upstream} = { fh => $upstream, out => out_new($upstream, on_error => $close) };
  pipe_one_way($pair, 'client', 'upstream', $close);
  pipe_one_way($pair, 'upstream', 'client', $close);
}

# Copies what `from` sends to `to`. When `from` ends, `to` is shut down for writing once what is
# queued is written, so bytes already sent still arrive; once both have ended, both are closed.
sub pipe_one_way {
  my ($pair, $from, $to, $close) = @_;
  my ($source, $sink) = ($pair->{$from}, $pair->{$to});
  my $reading = 0;
  # Both sides ended and everything queued was written to each: nothing more can pass.
  my $done = sub { $close->() if $source->{ended} && $sink->{ended} && $source->{out}{dead} && $sink->{out}{dead} };
  my $read;
  $read = sub {
    my $chunk = '';
    my $n = sysread($source->{fh}, $chunk, 65536);
    return if !defined $n && ($! == 11 || $! == 4);
    return $close->() unless defined $n;
    if ($n) {
      out_write($sink->{out}, $chunk);
      if ($sink->{out}{bytes} > RELAY_HIGH_WATER && $reading) {
        off_read($source->{fh});
        $reading = 0;
      }
      return;
    }
    off_read($source->{fh});
    $reading = 0;
    $source->{ended} = 1;
    out_end($sink->{out}, 1);
    $done->();
  };
  $sink->{out}{on_drain} = sub {
    return if $pair->{closed};
    if (!$reading && !$source->{ended}) {
      on_read($source->{fh}, $read);
      $reading = 1;
    }
    $done->();
  };
  on_read($source->{fh}, $read);
  $reading = 1;
}

1;
