# The few system calls node cannot make, for the layered workspace store (run as root, by the
# host, never inside a sandbox). Perl because it is part of every Debian and Ubuntu base system
# and can call the kernel directly, so the store needs no compiled helper and no npm package.
# No modules: loading POSIX alone takes perl from 5 to 25 ms, and a mount waits for this start.
#
#   perl overlay-helper.pl '<syscall numbers: name=nr,...>' mount <cwd> <merged> <options> [<layers> <lower> <inner> <outer>]
#       optionally clones <layers> as an idmapped mount at <lower> (files owned by <inner> appear
#       as <outer>), then mounts an overlay at <merged> (nosuid, nodev) from inside <cwd>, so the
#       lower layers can be named by short relative paths (the option string holds 4096 bytes).
#   perl overlay-helper.pl '<numbers>' umount <path>...      (not mounted: ignored; busy: detached)
#   perl overlay-helper.pl '<numbers>' batch                  requests on stdin, NUL-terminated:
#       g<path>  -> "1\n" when the directory is an opaque overlay directory, else "0\n"
#       o<path>  -> marks the directory opaque;          "ok\n" or "err <errno>\n"
#       w<path>  -> creates an overlay whiteout there;   "ok\n" or "err <errno>\n"
#       m<cwd>US<merged>US<options>[US<layers>US<lower>US<inner>US<outer>]  (US = \x1f)
#                -> as the mount mode;                   "ok\n" or "err <what failed>\n"
#       u<path>[US<path>...] -> as the umount mode;     "ok\n" or "err <what failed>\n"
use strict;
use warnings;

my %nr = map { split /=/ } split /,/, shift @ARGV;
my $mode = shift @ARGV;
$| = 1;

sub fail { print STDERR "$_[0]\n"; exit 1; }

# Each returns undef when it worked, or what failed.

sub idmapped_clone {
  my ($layers, $lower, $inner, $outer) = @_;
  # A user namespace whose only mapping is <inner> -> <outer>, held by a child that waits.
  pipe(my $ready_r, my $ready_w) or return "pipe: $!";
  pipe(my $done_r, my $done_w) or return "pipe: $!";
  my $pid = fork() // return "fork: $!";
  if ($pid == 0) {
    close $ready_r; close $done_w;
    syscall($nr{exit_group}, 1) unless syscall($nr{unshare}, 0x10000000) == 0;
    syswrite($ready_w, 'x'); close $ready_w;
    sysread($done_r, my $byte, 1);
    syscall($nr{exit_group}, 0);    # (not exit: a batch helper's child must not run the parent's loop on)
  }
  close $ready_w; close $done_r;
  my $error = sub {
    sysread($ready_r, my $byte, 1) == 1 or return 'child: could not make a user namespace';
    for my $file (['uid_map', "$inner $outer 1\n"], ['setgroups', "deny\n"], ['gid_map', "$inner $outer 1\n"]) {
      open(my $fh, '>', "/proc/$pid/$file->[0]") or return "$file->[0]: $!";
      print $fh $file->[1];
      close $fh or return "$file->[0]: $!";
    }
    open(my $ns, '<', "/proc/$pid/ns/user") or return "userns: $!";
    my $src = $layers;
    my $tree = syscall($nr{open_tree}, -100, $src, 1 | 0x80000);    # OPEN_TREE_CLONE | O_CLOEXEC
    $tree >= 0 or return "open_tree: $!";
    my $attr = pack('QQQQ', 0x100000, 0, 0, fileno($ns));            # MOUNT_ATTR_IDMAP
    my $empty = '';
    my $result;
    if (syscall($nr{mount_setattr}, $tree, $empty, 0x1000, $attr, 32) != 0) { $result = "mount_setattr: $!"; }
    else {
      my $empty2 = '';
      my $target = $lower;
      $result = "move_mount: $!" if syscall($nr{move_mount}, $tree, $empty2, -100, $target, 4) != 0;
    }
    syscall($nr{close}, $tree);
    return $result;
  }->();
  close $done_w;
  waitpid($pid, 0);
  return $error;
}

sub mount_view {
  my ($cwd, $merged, $options, $layers, $lower, $inner, $outer) = @_;
  if (defined $layers) {
    my $error = idmapped_clone($layers, $lower, $inner, $outer);
    return $error if defined $error;
  }
  chdir($cwd) or return "chdir $cwd: $!";
  my ($source, $fstype, $target, $data) = ('overlay', 'overlay', $merged, $options);
  syscall($nr{mount}, $source, $target, $fstype, 2 | 4, $data) == 0 or return "mount overlay: $!";    # MS_NOSUID | MS_NODEV
  chdir('/');
  return undef;
}

sub umount_all {
  for my $path (@_) {
    my $p = $path;
    next if syscall($nr{umount2}, $p, 0) == 0;
    next if $!{EINVAL} || $!{ENOENT};
    if ($!{EBUSY}) { syscall($nr{umount2}, $p, 2) == 0 and next; }    # MNT_DETACH
    return "umount $path: $!";
  }
  return undef;
}

if ($mode eq 'mount') {
  my $error = mount_view(@ARGV);
  fail($error) if defined $error;
  exit 0;
}

if ($mode eq 'umount') {
  my $error = umount_all(@ARGV);
  fail($error) if defined $error;
  exit 0;
}

if ($mode eq 'batch') {
  local $/ = "\0";
  my $name = 'trusted.overlay.opaque';
  while (my $request = <STDIN>) {
    chomp $request;
    my ($op, $path) = (substr($request, 0, 1), substr($request, 1));
    if ($op eq 'g') {
      my $buf = "\0" x 8;
      my $n = syscall($nr{lgetxattr}, $path, $name, $buf, 8);
      print(($n == 1 && substr($buf, 0, 1) eq 'y') ? "1\n" : "0\n");
    } elsif ($op eq 'o') {
      my $value = 'y';
      print(syscall($nr{lsetxattr}, $path, $name, $value, 1, 0) == 0 ? "ok\n" : 'err ' . ($! + 0) . "\n");
    } elsif ($op eq 'w') {
      print(syscall($nr{mknodat}, -100, $path, 0020000, 0) == 0 ? "ok\n" : 'err ' . ($! + 0) . "\n");    # S_IFCHR, 0:0
    } elsif ($op eq 'm' || $op eq 'u') {
      my @args = split /\x1f/, $path, -1;
      my $error = $op eq 'm' ? mount_view(@args) : umount_all(@args);
      if (defined $error) { $error =~ s/\n/ /g; print "err $error\n"; } else { print "ok\n"; }
    } else {
      print "err 22\n";
    }
  }
  exit 0;
}

print STDERR "unknown mode $mode\n";
exit 2;
