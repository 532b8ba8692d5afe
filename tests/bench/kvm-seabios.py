#!/usr/bin/env python3
"""Starts an x86-64 microvm under KVM with Debian's SeaBIOS and measures
the time from process start to SeaBIOS's banner and to its boot search
("Booting from" on the serial console; SeaBIOS waits about 2 s for a boot
menu key in between), and the process's peak RSS (VmHWM) at that moment.

    kvm-seabios.py EMULATOR      prints "SEARCH_SECONDS RSS_KIB BANNER_SECONDS"

Exits 1 (with the console so far on stderr) when the line does not come
within 60 s.
"""
import os
import select
import subprocess
import sys
import time

SEABIOS = '/usr/share/seabios/bios-microvm.bin'
MARKER = b'Booting from'
BANNER = b'SeaBIOS (version'


def peak_rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


def main():
    emulator = sys.argv[1]
    cmd = [emulator, '-M', 'microvm', '-accel', 'kvm', '-m', '128M', '-bios', SEABIOS,
           '-nographic', '-nodefaults', '-serial', 'stdio']
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = b''
    banner = None
    try:
        while MARKER not in out and time.monotonic() - start < 60:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
                if banner is None and BANNER in out:
                    banner = time.monotonic() - start
        elapsed = time.monotonic() - start
        rss = peak_rss_kib(proc.pid) if proc.poll() is None else 0
    finally:
        proc.kill()
        proc.wait()
    if MARKER not in out:
        sys.stderr.write(out.decode(errors='replace'))
        return 1
    print('%.3f %d %.3f' % (elapsed, rss, banner))
    return 0


if __name__ == '__main__':
    sys.exit(main())
