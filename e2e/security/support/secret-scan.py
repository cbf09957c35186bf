# Run inside a sandbox by secrets.test.ts: looks for byte strings (given base64-encoded on the
# command line, so they never appear raw in any process's argv) everywhere the sandbox can read:
# its own environment, every file outside the read-only system directories, every process's
# environ, cmdline and mount table, and the readable memory of every process it can see.
import base64
import os
import sys

needles = [base64.b64decode(arg) for arg in sys.argv[1:]]
found = []
scanned = {"files": 0, "memory_bytes": 0}


def check(where, data):
    for needle in needles:
        if needle in data:
            found.append(where)
            return


def scan_file(path, limit=64 * 1024 * 1024):
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit)
    except OSError:
        return
    scanned["files"] += 1
    check(path, data)


check("os.environ", b"\0".join(k.encode() + b"=" + v.encode() for k, v in os.environ.items()))

# Files: everything but the host's read-only system (/usr and its links) and the kernel's views.
for root in ["/etc", "/opt", "/tmp", "/workspace", "/home", "/mnt", "/run", "/var", "/dev/shm"]:
    for directory, subdirs, files in os.walk(root, followlinks=False):
        for name in files:
            path = os.path.join(directory, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            scan_file(path)

# Processes: what they were started with, and their memory (not this scanner's own: it holds
# the needles it decoded).
for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
    for entry in ["environ", "cmdline", "mountinfo", "status"]:
        scan_file(f"/proc/{pid}/{entry}")
    try:
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
            for line in maps:
                fields = line.split()
                if "r" not in fields[1]:
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                if end - start > 512 * 1024 * 1024:
                    continue
                try:
                    mem.seek(start)
                    chunk = mem.read(end - start)
                except (OSError, OverflowError, ValueError):
                    continue
                scanned["memory_bytes"] += len(chunk)
                check(f"/proc/{pid}/mem {fields[0]} {fields[-1] if len(fields) > 5 else ''}", chunk)
    except OSError:
        pass

print(f"scanned {scanned['files']} files and {scanned['memory_bytes']} bytes of memory")
for where in found:
    print(f"FOUND {where}")
