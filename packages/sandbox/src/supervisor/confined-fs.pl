# Part of the supervisor (see supervisor.pl), loaded on first use: file operations confined to
# the sandbox's file roots, and base64.
#
# A path is resolved one component at a time with lstat, the way the kernel would, except that
# every step is checked: `..` is applied to the real directory reached so far (never lexically),
# a symlink's target is spliced into the remaining components, the walk refuses to visit any
# path that is neither inside a root nor an ancestor of one, and where a symlink's target ends
# the walk must be inside a root. So `/workspace/../etc/passwd`, a symlink to `/etc` or to `/`,
# and a symlink chain that leaves and comes back are all refused, before the outside is even
# looked at. Every descriptor opened is checked again through /proc/self/fd: a directory swapped
# for a symlink between resolving and opening is followed by the kernel (O_NOFOLLOW guards only
# the last component), and that is where it is caught.
#
# Inside bubblewrap this is policy (the tools must not wander over the system files the shell can
# read anyway); in the unsandboxed provider it is the only confinement there is.
BEGIN { $^H |= 0x602 }
# O_NONBLOCK is supervisor.pl's (the same number on every architecture the sandbox supports).
use Fcntl qw(O_RDONLY O_WRONLY O_CREAT O_NOFOLLOW O_DIRECTORY);

our ($WORKDIR, %CFG, $SYS_STATX);

sub MAX_SYMLINK_HOPS () { 40 }
# Marks, in the queue of components, where a symlink's target ends (NUL is never in a name).
sub LINK_END () { "\0" }
sub ENOENT () { 2 }
sub EEXIST () { 17 }

my @ROOTS = map { +{ path => "$_->{path}", writable => $_->{writable} } } grep { ref $_ eq 'HASH' } @{ref $CFG{roots} eq 'ARRAY' ? $CFG{roots} : []};
my $REAL_ROOTS;

sub fs_error { die { code => $_[0], message => $_[1] } }

# An errno (as `$!` gave it) as one of the protocol's errors.
sub fs_errno {
  my ($errno, $path) = @_;
  my $text = do { local $! = $errno; "$!" };
  fs_error('not_found', "$path: no such file or directory") if $errno == ENOENT || $errno == 20;
  fs_error('is_directory', "$path is a directory") if $errno == 21;
  fs_error('read_only', "$path is on a read-only file system") if $errno == 30;
  fs_error('io_error', "$path: too many levels of symbolic links") if $errno == 40;
  fs_error('io_error', "$path: " . lcfirst $text);
}

sub root_of {
  my $p = $_[0];
  for (@ROOTS) { return $_ if $p eq $_->{path} || index($p, "$_->{path}/") == 0 }
  return undef;
}

# The root that holds the file an open descriptor really refers to.
sub root_of_fd {
  my $real = readlink('/proc/self/fd/' . fileno $_[0]);
  return undef unless defined $real;
  $REAL_ROOTS //= [map {
    my $root = $_;
    my $dir;
    my $path = sysopen($dir, $root->{path}, O_RDONLY | O_DIRECTORY) ? readlink('/proc/self/fd/' . fileno $dir) : undef;
    +{ %$root, path => $path // $root->{path} };
  } @ROOTS];
  for (@$REAL_ROOTS) { return $_ if $real eq $_->{path} || index($real, "$_->{path}/") == 0 }
  return undef;
}

# A path the walk may pass through: inside a root, or on the way down to one.
sub may_visit {
  my $p = $_[0];
  return 1 if root_of($p);
  my $prefix = $p eq '/' ? '/' : "$p/";
  for (@ROOTS) { return 1 if index($_->{path}, $prefix) == 0 }
  return 0;
}

sub components { grep { $_ ne '' && $_ ne '.' } split m{/}, $_[0] }

# Resolves `$input` to a real absolute path inside the roots: returns ($path, [missing names]).
# With `$allow_missing`, a path whose tail does not exist yet resolves to the existing real prefix
# plus the missing names (none of which is `..`), for creating it. With `$follow_last` false, a
# final symlink is not followed.
sub fs_resolve {
  my ($input, $allow_missing, $follow_last) = @_;
  $follow_last //= 1;
  fs_error('not_found', 'invalid path') if !defined $input || ref $input || $input eq '' || index($input, "\0") >= 0;
  my @queue = components(substr($input, 0, 1) eq '/' ? $input : "$WORKDIR/$input");
  my @current;
  my $hops = 0;
  while (@queue) {
    my $name = shift @queue;
    if ($name eq LINK_END) {
      # A symlink's target is fully walked: it must have landed inside a root.
      fs_error('outside_workspace', "$input leads outside the sandbox's file roots through a symlink") unless root_of('/' . join('/', @current));
      next;
    }
    if ($name eq '..') {
      pop @current;
      next;
    }
    my $candidate = '/' . join('/', @current, $name);
    fs_error('outside_workspace', "$input is outside the sandbox's file roots") unless may_visit($candidate);
    if (!lstat $candidate) {
      my $errno = 0 + $!;
      if ($errno == ENOENT && $allow_missing && !grep { $_ eq '..' } @queue) {
        my $path = '/' . join('/', @current);
        my @missing = ($name, grep { $_ ne LINK_END } @queue);
        my $target = "$path/" . join('/', @missing);
        $target =~ s{^//}{/};
        fs_error('outside_workspace', "$input is outside the sandbox's file roots") unless root_of($target);
        return ($path, \@missing);
      }
      fs_errno($errno, $input);
    }
    my $more = grep { $_ ne LINK_END } @queue;
    if (-l _ && ($more || $follow_last)) {
      fs_error('io_error', "$input: too many levels of symbolic links") if ++$hops > MAX_SYMLINK_HOPS;
      my $target = readlink $candidate;
      fs_errno(0 + $!, $input) unless defined $target;
      @current = () if substr($target, 0, 1) eq '/';
      unshift @queue, components($target), LINK_END;
      next;
    }
    fs_error('not_found', "$input: not a directory") if $more && !-d _;
    push @current, $name;
  }
  my $path = '/' . join('/', @current);
  fs_error('outside_workspace', "$input is outside the sandbox's file roots") unless root_of($path);
  return ($path, []);
}

# Reads a regular file, refusing directories, special files and anything over `$max` bytes.
sub fs_read_file {
  my ($input, $max) = @_;
  $max = 0 + ($max // 0);
  my ($path) = fs_resolve($input);
  # O_NONBLOCK: opening a FIFO must not hang the supervisor; O_NOFOLLOW: the path was just
  # resolved, so a symlink here means someone swapped it in since.
  sysopen(my $fh, $path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) or fs_errno(0 + $!, $input);
  fs_error('outside_workspace', "$input leads outside the sandbox's file roots") unless root_of_fd($fh);
  my @st = stat $fh or fs_errno(0 + $!, $input);
  fs_error('is_directory', "$input is a directory") if -d _;
  fs_error('io_error', "$input is not a regular file") unless -f _;
  my $size = $st[7];
  fs_error('too_large', "$input is $size bytes, more than the limit of $max") if $size > $max;
  # The file may grow while we read: read at most one byte past the limit to notice.
  my $want = $size + 65536 < $max + 1 ? $size + 65536 : $max + 1;
  my $data = '';
  while (length $data < $want) {
    my $n = sysread($fh, $data, $want - length $data, length $data);
    if (!defined $n) {
      next if $! == 4;
      fs_errno(0 + $!, $input);
    }
    last unless $n;
  }
  fs_error('too_large', "$input is larger than the limit of $max bytes") if length $data > $max;
  return $data;
}

# Opens a directory without following a final symlink and checks it is inside a root.
sub open_checked_dir {
  my ($path, $input) = @_;
  sysopen(my $dir, $path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) or fs_errno(0 + $!, $input);
  fs_error('outside_workspace', "$input leads outside the sandbox's file roots") unless root_of_fd($dir);
  return $dir;
}

# Writes a whole file, creating missing parent directories, inside a writable root. The data is
# used in place (`$_[1]`): it may be tens of megabytes.
sub fs_write_file {
  my $input = $_[0];
  my ($base, $missing) = fs_resolve($input, 1);
  my $target = @$missing ? ($base eq '/' ? '' : $base) . '/' . join('/', @$missing) : $base;
  my $root = root_of($target);
  fs_error('read_only', "$input is in a read-only location") unless $root && $root->{writable};
  # Everything below happens relative to a directory descriptor that was checked, never by a
  # path that could have been changed since it was resolved.
  my $split = rindex($target, '/');
  my $leaf = substr($target, $split + 1);
  my $dir = open_checked_dir(@$missing ? $base : $split > 0 ? substr($target, 0, $split) : '/', $input);
  for my $name (@$missing[0 .. $#$missing - 1]) {
    my $path = '/proc/self/fd/' . fileno($dir) . "/$name";
    mkdir($path, 0777) or $! == EEXIST or fs_errno(0 + $!, $input);
    $dir = open_checked_dir($path, $input);
  }
  # No O_TRUNC: nothing is changed before the file is proven to be inside a writable root.
  sysopen(my $fh, '/proc/self/fd/' . fileno($dir) . "/$leaf", O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0666) or fs_errno(0 + $!, $input);
  close $dir;
  my $where = root_of_fd($fh);
  fs_error('outside_workspace', "$input leads outside the sandbox's writable roots") unless $where && $where->{writable};
  stat $fh or fs_errno(0 + $!, $input);
  fs_error('io_error', "$input is not a regular file") unless -f _;
  truncate($fh, 0) or fs_errno(0 + $!, $input);
  my $done = 0;
  while ($done < length $_[1]) {
    my $n = syswrite($fh, $_[1], length($_[1]) - $done, $done);
    if (!defined $n) {
      next if $! == 4;
      fs_errno(0 + $!, $input);
    }
    $done += $n;
  }
  close $fh or fs_errno(0 + $!, $input);
}

# Describes a path without following a final symlink; undef when it does not exist.
sub fs_stat {
  my $input = $_[0];
  my ($path) = eval { fs_resolve($input, 0, 0) };
  if (!defined $path) {
    my $err = $@;
    return undef if ref $err eq 'HASH' && $err->{code} eq 'not_found';
    die $err;
  }
  my @st = lstat $path;
  if (!@st) {
    my $errno = 0 + $!;
    return undef if $errno == ENOENT || $errno == 20;
    fs_errno($errno, $input);
  }
  my ($size, $mtime) = ($st[7], $st[9] * 1000);
  my $type = -f _ ? 'file' : -d _ ? 'directory' : -l _ ? 'symlink' : 'other';
  if ($SYS_STATX) {
    # Perl's lstat has whole seconds; statx gives the nanoseconds node reports too.
    my ($name, $buf) = ($path, "\0" x 256);
    if (syscall($SYS_STATX, -100, $name, 0x100, 0x7ff, $buf) == 0) {
      my ($sec, $nsec) = unpack('x112 q L', $buf);
      $mtime = $sec * 1000 + $nsec / 1e6;
    }
  }
  return { path => $path, type => $type, size => $size, mtime => $mtime };
}

# Base64 through uuencoding, which perl packs natively: the same 6-bit groups in another alphabet,
# in lines of up to 63 bytes (84 characters) behind a length character. The lines are cut apart
# and put together with unpack and join, never a regex (32 MiB make 530,000 of them), a thousand
# at a time so that the memory of one batch serves the next.
sub B64_BATCH () { 1024 }

sub b64_encode {
  my $length = length $_[0];
  my $full = $length - $length % 63;
  my $text = '';
  for (my $at = 0; $at < $full; $at += 63 * B64_BATCH) {
    $text .= join '', unpack('(x a84 x)*', pack('u63', substr($_[0], $at, $full - $at < 63 * B64_BATCH ? $full - $at : 63 * B64_BATCH)));
  }
  $text .= substr(pack('u63', substr($_[0], $full)), 1, -1) if $full < $length;
  $text =~ tr|` -_|AA-Za-z0-9+/|;
  my $pad = (3 - $length % 3) % 3;
  substr($text, -$pad) = '=' x $pad if $pad;
  return $text;
}

# Decodes base64 (or base64url), skipping any other character, as node does. The text is
# rewritten in place (it is the request's, tens of megabytes for a large file).
sub b64_decode {
  $_[0] //= '';
  my $text = \$_[0];
  chop $$text while substr($$text, -1) eq '=';
  # Deleting is slow on 40 MB; what node's encoder wrote has nothing to delete.
  $$text =~ tr|A-Za-z0-9+/_-||cd if $$text =~ tr|A-Za-z0-9+/||c;
  $$text =~ tr|A-Za-z0-9+/_-|`!-__^|;
  my $rest = length($$text) % 84;
  my $full = length($$text) - $rest;
  my $data = '';
  for (my $at = 0; $at < $full; $at += 84 * B64_BATCH) {
    my $lines = substr($$text, $at, $full - $at < 84 * B64_BATCH ? $full - $at : 84 * B64_BATCH);
    $data .= unpack('u', '_' . join("\n_", unpack('(a84)*', $lines)) . "\n");
  }
  # The last line holds as many bytes as its characters make, padded to whole groups of four.
  $data .= unpack('u', chr(32 + int($rest * 3 / 4)) . substr($$text, $full) . ('`' x ((4 - $rest % 4) % 4)) . "\n") if $rest;
  return $data;
}

sub op_read_file {
  my ($req, $ctx) = @_;
  reply_ok($ctx, '{"data":"' . b64_encode(fs_read_file('' . ($req->{path} // 'undefined'), $req->{maxBytes})) . '"}');
}

sub op_write_file {
  my ($req, $ctx) = @_;
  $req->{data} = '' . ($req->{data} // '') if ref $req->{data} || !defined $req->{data};
  fs_write_file('' . ($req->{path} // 'undefined'), b64_decode($req->{data}));
  reply_ok($ctx, '{}');
}

sub op_stat {
  my ($req, $ctx) = @_;
  my $info = fs_stat('' . ($req->{path} // 'undefined'));
  reply_ok($ctx, '{"info":' . ($info ? '{"path":' . jstr($info->{path}) . ',"type":"' . $info->{type} . '","size":' . (0 + $info->{size}) . ',"mtimeMs":' . sprintf('%.17g', $info->{mtime}) . '}' : 'null') . '}');
}

1;
