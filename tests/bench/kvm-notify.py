#!/usr/bin/env python3
"""The cost of one virtio queue notify seen from the guest's vCPU, under
KVM: tests/bench/kvm/notify.S runs with 200000 notifies and with none on
-M microvm with a virtio-rng device, and the difference in wall time is
divided by 200000. Best of RUNS runs each.

    kvm-notify.py BUILD EMULATOR on|off [RUNS]
        prints the microseconds per notify, with the virtio-mmio
        transport's ioeventfds on or off (-global virtio-mmio.ioeventfd)

Exits 1, with the output, when a run does not end with the guest's status.
"""
import os
import subprocess
import sys
import time

NOTIFIES = 200000
GUEST_EXIT = 0x10 << 1 | 1


def argv(emulator, image, ioeventfd):
    common = ['-bios', image, '-display', 'none', '-serial', 'none',
              '-device', 'isa-debug-exit,iobase=0xf4', '-device', 'virtio-rng-device']
    if 'qemu' in os.path.basename(emulator):
        # no ACPI: its virtio slots then use IRQ 5-12 as proteus's do
        return [emulator, '-M', 'microvm,acpi=off', '-accel', 'kvm', '-nodefaults',
                '-global', 'virtio-mmio.force-legacy=false',
                '-global', 'virtio-mmio.ioeventfd=%s' % ('true' if ioeventfd else 'false')
                ] + common
    return [emulator, '-M', 'microvm', '-accel', 'kvm', '-global',
            'virtio-mmio.ioeventfd=%s' % ('on' if ioeventfd else 'off')] + common


def best_seconds(cmd, runs):
    best = None
    for _ in range(runs):
        start = time.monotonic()
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120)
        seconds = time.monotonic() - start
        if proc.returncode != GUEST_EXIT:
            sys.stderr.write(proc.stdout.decode(errors='replace'))
            return None
        best = seconds if best is None else min(best, seconds)
    return best


def main():
    build, emulator, mode = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    images = [os.path.join(build, 'tests', 'bench', 'kvm-notify-%d.bin' % n)
              for n in (NOTIFIES, 0)]
    times = [best_seconds(argv(emulator, image, mode == 'on'), runs) for image in images]
    if None in times:
        return 1
    print('%.2f' % ((times[0] - times[1]) / NOTIFIES * 1e6))
    return 0


if __name__ == '__main__':
    sys.exit(main())
