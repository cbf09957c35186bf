# Run in the background inside a sandbox by the race tests: swaps paths between a place inside
# the workspace and one outside, as fast as it can, until /workspace/stop-swapping exists (or two
# minutes pass), so that whatever checks a path and then uses it again is caught in between.
# Each swap is one atomic renameat2(RENAME_EXCHANGE): the path always exists, as one or the other.
#
#   /workspace/race      a symlink to `inside`, exchanged with one to /tmp/outside
#   /workspace/flip      a real directory (what a tool resolves `flip` to), exchanged with a
#                        symlink to /tmp/outside
#   /workspace/hostflip  a real directory exchanged with a symlink to argv[1], a host path (the
#                        server's data directory), for what reads the workspace from the host
import ctypes
import os
import sys
import time

W = "/workspace"
AT_FDCWD = -100
RENAME_EXCHANGE = 2
libc = ctypes.CDLL(None, use_errno=True)

os.chdir(W)
for name, target in (("race", "/tmp/outside"), ("flip", "/tmp/outside"), ("hostflip", sys.argv[1])):
    if os.path.lexists(f".{name}-alt"):
        os.unlink(f".{name}-alt")
    os.symlink(target, f".{name}-alt")

pairs = [(f"{name}".encode(), f".{name}-alt".encode()) for name in ("race", "flip", "hostflip")]
deadline = time.time() + 120
swaps = 0
while not os.path.exists("stop-swapping") and time.time() < deadline:
    for _ in range(2000):
        for a, b in pairs:
            if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
                raise OSError(ctypes.get_errno(), "renameat2")
        swaps += 1

# Leave everything as it was found: the real directories and `race -> inside` in place.
if swaps % 2 == 1:
    for a, b in pairs:
        libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
with open("swaps.txt", "w") as out:
    out.write(str(swaps))
