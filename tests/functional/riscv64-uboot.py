#!/usr/bin/env python3
#
# Boots Debian's OpenSBI and U-Boot (qemu-riscv64_smode) on the riscv64
# virt machine, waits for the U-Boot prompt on the serial console, types
# commands, checks what they print, and powers off: the process must end
# with status 0. TAP output, one test point per step.
#
#   riscv64-uboot.py PROTEUS_SYSTEM_RISCV64 [UBOOT_BIN]
#   riscv64-uboot.py --virtio PROTEUS_SYSTEM_RISCV64 [UBOOT_BIN]
#       (the virtio-mmio slots, seen by U-Boot with a virtio-rng-device)
#   riscv64-uboot.py --time EMULATOR [UBOOT_BIN]
#       (for tests/bench: prints the seconds from start to the prompt, the
#       autoboot countdown cut short by a key; then
#       powers off; EMULATOR may be qemu-system-riscv64 as well)

import os
import select
import subprocess
import sys
import time

UBOOT = '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin'
PROMPT = b'=> '

results = []


def point(ok, what, detail=''):
    results.append(ok)
    print('%s %d - %s' % ('ok' if ok else 'not ok', len(results), what))
    if not ok and detail:
        for line in detail.splitlines()[-25:]:
            print('# ' + line)
    sys.stdout.flush()


class Console:
    """The guest's serial console on the emulator's stdin/stdout."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.seen = b''

    def wait_for(self, text, timeout):
        """Reads until text appears after what was read before; returns the
        output up to and including it, or None on timeout or exit."""
        deadline = time.monotonic() + timeout
        start = len(self.seen)
        while True:
            at = self.seen.find(text, start)
            if at >= 0:
                out = self.seen[start:at + len(text)]
                self.seen = self.seen[at + len(text):]
                return out
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.seen += chunk

    def command(self, line, timeout=30):
        self.proc.stdin.write(line.encode() + b'\n')
        self.proc.stdin.flush()
        return self.wait_for(PROMPT, timeout)

    def text(self):
        return self.seen.decode(errors='replace')

    def poweroff(self, send=True):
        """Types poweroff (if send) and returns the exit status, or None
        if the emulator does not end within 30 s (it is killed then)."""
        if send:
            self.proc.stdin.write(b'poweroff\n')
            self.proc.stdin.flush()
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def time_to_prompt(emulator, uboot):
    start = time.monotonic()
    con = Console([emulator, '-M', 'virt', '-m', '128M', '-nographic', '-kernel', uboot])
    # a key stops the autoboot countdown, which would only add its 2 s
    ok = con.wait_for(b'Hit any key', 120) is not None
    if ok:
        con.proc.stdin.write(b'\n')
        con.proc.stdin.flush()
        ok = con.wait_for(PROMPT, 120) is not None
    elapsed = time.monotonic() - start
    status = con.poweroff()
    if not ok or status != 0:
        print('no U-Boot prompt or no clean poweroff (status %s)' % status, file=sys.stderr)
        return 1
    print('%.3f' % elapsed)
    return 0


def virtio_slots(emulator, uboot):
    """With -device virtio-rng-device: the slot's device-tree node, and
    U-Boot's virtio-mmio driver bound to the board's eight transports and
    probed (it reads the registers; this U-Boot has no virtio-rng driver)."""
    slot = b'virtio_mmio@10001000'
    checks = [
        ('fdt addr $fdtcontroladdr; fdt print /soc/' + slot.decode(),
         [b'compatible = "virtio,mmio"', b'interrupts = <0x00000001>',
          b'reg = <0x00000000 0x10001000 0x00000000 0x00001000>']),
        ('virtio scan; dm tree', [slot, b'virtio_mmio@10008000']),
    ]
    print('1..%d' % (1 + len(checks) + 2))
    con = Console([emulator, '-M', 'virt', '-m', '128M', '-nographic', '-kernel', uboot,
                   '-device', 'virtio-rng-device'])
    boot = con.wait_for(PROMPT, 120)
    point(boot is not None, 'U-Boot prompt', con.text())
    outs = []
    for cmd, wanted in checks:
        out = con.command(cmd) if boot is not None else None
        outs.append(out or b'')
        point(out is not None and all(w in out for w in wanted), cmd,
              (out or b'').decode(errors='replace') or con.text())
    probed = [line for line in outs[-1].splitlines() if slot in line and b'[ + ]' in line]
    point(len(probed) == 1, 'the first slot is probed ([ + ] in dm tree)')
    status = con.poweroff(send=boot is not None)
    point(status == 0, 'poweroff ends the process with status 0 (got %s)' % status)
    return 0 if all(results) else 1


def main():
    if sys.argv[1] == '--time':
        return time_to_prompt(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else UBOOT)
    if sys.argv[1] == '--virtio':
        return virtio_slots(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else UBOOT)
    emulator = sys.argv[1]
    uboot = sys.argv[2] if len(sys.argv) > 2 else UBOOT
    checks = [
        ('version', [b'U-Boot 20']),
        ('bdinfo', [b'boot_params', b'DRAM bank', b'0x80000000']),
        ('fdt addr $fdtcontroladdr; fdt print /', [b'compatible = "riscv-virtio"',
                                                   b'serial@10000000', b'ns16550a',
                                                   b'riscv,isa']),
        ('mw.l 0x84000000 0x12345678; md.l 0x84000000 1', [b'84000000: 12345678']),
    ]
    print('1..%d' % (2 + len(checks) + 1))
    con = Console([emulator, '-M', 'virt', '-m', '128M', '-nographic', '-kernel', uboot])
    banner = con.wait_for(b'OpenSBI v', 60)
    point(banner is not None, 'OpenSBI banner', con.text())
    # autoboot finds nothing to boot and falls back to the prompt
    boot = con.wait_for(PROMPT, 120) if banner is not None else None
    point(boot is not None, 'U-Boot prompt', con.text())
    for cmd, wanted in checks:
        out = con.command(cmd) if boot is not None else None
        ok = out is not None and all(w in out for w in wanted)
        point(ok, cmd, (out or b'').decode(errors='replace') or con.text())
    status = con.poweroff(send=boot is not None)
    point(status == 0, 'poweroff ends the process with status 0 (got %s)' % status)
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
