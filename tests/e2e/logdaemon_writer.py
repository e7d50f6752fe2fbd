#!/usr/bin/env python3
# logdaemon_writer.py - the Squid of tests/e2e/logdaemon.sh: appends the
# lines of logdaemon_lines.py (of KIND) to PATH through a descriptor
# it keeps open (O_APPEND), a batch at a time, some batches split mid-line
# into two writes a moment apart. Signals, acted on between batches (so
# always at a line boundary):
#   SIGHUP   reopen PATH (squid -k rotate after the file was renamed)
#   SIGUSR1  pause: write the number of lines written so far to
#            STATEDIR/paused, and wait for SIGUSR2
#   SIGUSR2  resume (the file STATEDIR/paused is removed first)
# At the end, STATEDIR/done holds the number of lines written.
#   logdaemon_writer.py KIND PATH T0 STATEDIR [BATCH [PAUSE_MS]]
import os
import signal
import sys
import time

import logdaemon_lines

reopen = False
pause = False
resume = False


def on_hup(signum, frame):
    global reopen
    reopen = True


def on_usr1(signum, frame):
    global pause
    pause = True


def on_usr2(signum, frame):
    global resume
    resume = True


def write_all(fd, data):
    while data:
        n = os.write(fd, data)
        data = data[n:]


def put(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main():
    global reopen, pause, resume
    kind, path, t0, statedir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 25
    pause_s = (int(sys.argv[6]) if len(sys.argv) > 6 else 30) / 1000.0
    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGUSR2, on_usr2)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    fd = os.open(path, flags, 0o644)
    lines = logdaemon_lines.lines(kind, t0)
    n = len(lines)
    written = 0
    k = 0
    while written < n:
        if reopen:
            reopen = False
            os.close(fd)
            fd = os.open(path, flags, 0o644)
        if pause:
            pause = False
            resume = False
            put(os.path.join(statedir, "paused"), "%d\n" % written)
            while not resume:
                time.sleep(0.005)
            continue
        chunk = "".join(lines[written:written + batch]).encode()
        if k % 3 == 1:
            # a line in two halves: the reader must hold the first
            cut = len(chunk) // 2 + k % 7
            write_all(fd, chunk[:cut])
            time.sleep(0.002)
            write_all(fd, chunk[cut:])
        else:
            write_all(fd, chunk)
        written += len(lines[written:written + batch])
        k += 1
        time.sleep(pause_s)
    os.close(fd)
    put(os.path.join(statedir, "done"), "%d\n" % written)


if __name__ == "__main__":
    main()
