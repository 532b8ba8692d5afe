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
#   riscv64-uboot.py --virtio-blk PROTEUS_SYSTEM_RISCV64 PROTEUS_IMG [UBOOT_BIN]
#       (U-Boot's virtio commands on a raw and a qcow2 -drive: reads checked
#       against the pattern, a write checked in the image file afterwards)
#   riscv64-uboot.py --virtio-net PROTEUS_SYSTEM_RISCV64 [UBOOT_BIN]
#       (virtio-net-device on -netdev user: dhcp, then tftpboot of a file
#       checked with crc32; once with -device, once with -nic)
#   riscv64-uboot.py --time EMULATOR [UBOOT_BIN]
#       (for tests/bench: prints the seconds from start to the prompt, the
#       autoboot countdown cut short by a key; then
#       powers off; EMULATOR may be qemu-system-riscv64 as well)
#   riscv64-uboot.py --bench-blk EMULATOR IMAGE [UBOOT_BIN]
#       (for tests/bench: IMAGE, a qcow2 image of at least 16 MiB, as a
#       virtio -drive; prints the seconds `virtio read` of its first 16 MiB
#       takes, from sending the command to the prompt's return)

import os
import select
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import tap  # noqa: E402

UBOOT = '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin'
PROMPT = b'=> '


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


BENCH_BLOCKS = 0x8000      # 16 MiB in 512-byte blocks


def bench_blk(emulator, image, uboot):
    con = Console([emulator, '-M', 'virt', '-m', '128M', '-nographic', '-kernel', uboot,
                   '-drive', 'file=%s,if=virtio,format=qcow2' % image])
    # a key stops autoboot, which would try to boot from the disk
    ok = con.wait_for(b'Hit any key', 120) is not None
    if ok:
        con.proc.stdin.write(b'\n')
        con.proc.stdin.flush()
        ok = con.wait_for(PROMPT, 120) is not None
    # the device is probed before the clock starts
    ok = ok and con.command('virtio scan') is not None
    elapsed = 0.0
    if ok:
        start = time.monotonic()
        out = line_command(con, 'virtio read %#x 0 %#x' % (BUF, BENCH_BLOCKS), 300)
        elapsed = time.monotonic() - start
        ok = out is not None and b'%d blocks read: OK' % BENCH_BLOCKS in out
    status = con.poweroff()
    if not ok or status != 0:
        print('virtio read failed or no clean poweroff (status %s)' % status, file=sys.stderr)
        print(con.text()[-2000:], file=sys.stderr)
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
    tap.point(boot is not None, 'U-Boot prompt', con.text())
    outs = []
    for cmd, wanted in checks:
        out = con.command(cmd) if boot is not None else None
        outs.append(out or b'')
        tap.point(out is not None and all(w in out for w in wanted), cmd,
              (out or b'').decode(errors='replace') or con.text())
    probed = [line for line in outs[-1].splitlines() if slot in line and b'[ + ]' in line]
    tap.point(len(probed) == 1, 'the first slot is probed ([ + ] in dm tree)')
    status = con.poweroff(send=boot is not None)
    tap.point(status == 0, 'poweroff ends the process with status 0 (got %s)' % status)
    return 0 if tap.all_passed() else 1


def line_command(con, line, timeout=30):
    """Like Console.command, but the prompt must start a line: crc32 prints
    '==> ', which holds the prompt's text."""
    con.proc.stdin.write(line.encode() + b'\n')
    con.proc.stdin.flush()
    return con.wait_for(b'\n' + PROMPT, timeout)


def net_boot(emulator, uboot, net_args, mac, size, tftp_dir, what):
    """One boot with a virtio-net-device on slirp: the MAC address it
    reports, a DHCP lease, a TFTP download of size known bytes and their
    CRC-32, then poweroff. Test points are prefixed with what."""
    name = 'file%d.bin' % size
    data = bytes((i * 131 + i // 251) & 0xff for i in range(size))
    with open(os.path.join(tftp_dir, name), 'wb') as f:
        f.write(data)
    checks = [
        ('print ethaddr', [b'ethaddr=' + mac.encode()]),
        # autoload no: the lease alone, no boot file fetched after it
        ('setenv autoload no; dhcp', [b'DHCP client bound to address 10.0.2.15']),
        ('tftpboot 0x84000000 ' + name, [b'Bytes transferred = %d (%x hex)' % (size, size)]),
        ('crc32 0x84000000 0x%x' % size, [b'==> %08x' % zlib.crc32(data)]),
    ]
    con = Console([emulator, '-M', 'virt', '-m', '128M', '-nographic', '-kernel', uboot] +
                  net_args)
    # a key stops autoboot, which would try DHCP and TFTP before the checks do
    boot = con.wait_for(b'Hit any key', 120)
    if boot is not None:
        con.proc.stdin.write(b'\n')
        con.proc.stdin.flush()
        boot = con.wait_for(PROMPT, 120)
    tap.point(boot is not None, what + ': U-Boot prompt', con.text())
    for cmd, wanted in checks:
        out = line_command(con, cmd) if boot is not None else None
        tap.point(out is not None and all(w in out for w in wanted), what + ': ' + cmd,
              (out or b'').decode(errors='replace') or con.text())
    status = con.poweroff(send=boot is not None)
    tap.point(status == 0, what + ': poweroff ends the process with status 0 (got %s)' % status)


def virtio_net(emulator, uboot):
    """virtio-net-device on user networking, with -netdev/-device and with
    the -nic shorthand (a bigger file there: many TFTP blocks). Six test
    points per boot."""
    print('1..%d' % (2 * 6))
    with tempfile.TemporaryDirectory() as tftp_dir:
        net_boot(emulator, uboot,
                 ['-netdev', 'user,id=n0,tftp=' + tftp_dir,
                  '-device', 'virtio-net-device,netdev=n0,mac=52:54:00:ab:cd:ef'],
                 '52:54:00:ab:cd:ef', 5000, tftp_dir, '-device')
        net_boot(emulator, uboot,
                 ['-nic', 'user,model=virtio-net-device,tftp=' + tftp_dir],
                 '52:54:00:12:34:56', 200000, tftp_dir, '-nic')
    return 0 if tap.all_passed() else 1


SECTOR = 512
BUF = 0x84000000            # U-Boot's scratch buffers in guest RAM
READBACK = 0x85000000


def sector_pattern(n):
    """Sector n of the test images: every byte a function of n and its place."""
    return bytes((n * 7 + i) & 0xff for i in range(SECTOR))


def crc_line(data):
    """What U-Boot's crc32 prints for data."""
    return b'==> %08x' % zlib.crc32(data)


def blk_drive_test(emulator, uboot, fmt, image_path, sectors, original):
    """Boots U-Boot on one -drive; reads, writes, powers off; returns the
    image's bytes as U-Boot's write should have left them. (U-Boot takes
    block numbers in hex.)"""
    first = original[:8 * SECTOR]
    tail = original[(sectors - 8) * SECTOR:]
    # sectors 0-1 of the buffer overwritten, then the buffer written at sector 16
    written = b'\xa5' * (2 * SECTOR) + first[2 * SECTOR:]
    expected = original[:16 * SECTOR] + written + original[24 * SECTOR:]
    checks = [
        ('virtio scan; virtio info', [b'VirtIO Block Device', b'(%d x 512)' % sectors]),
        ('virtio read %#x 0 8' % BUF, [b'8 blocks read: OK']),
        ('crc32 %#x 0x1000' % BUF, [crc_line(first)]),
        ('md.b %#x 0x10' % (BUF + SECTOR),
         [b'%08x: ' % (BUF + SECTOR) + b' '.join(b'%02x' % c for c in first[SECTOR:SECTOR + 16])]),
        ('virtio read %#x %#x 8; crc32 %#x 0x1000' % (BUF, sectors - 8, BUF), [crc_line(tail)]),
        # past the end: the device answers IOERR
        ('virtio read %#x %#x 1' % (READBACK, sectors), [b'blocks read: ERROR']),
        ('virtio read %#x 0 8; mw.b %#x 0xa5 0x400; virtio write %#x 0x10 8' % (BUF, BUF, BUF),
         [b'8 blocks written: OK']),
        ('virtio read %#x 0x10 8; crc32 %#x 0x1000' % (READBACK, READBACK), [crc_line(written)]),
    ]
    con = Console([emulator, '-M', 'virt', '-m', '128M', '-nographic', '-kernel', uboot,
                   '-drive', 'file=%s,if=virtio,format=%s' % (image_path, fmt)])
    boot = con.wait_for(PROMPT, 120)
    tap.point(boot is not None, '%s: U-Boot prompt' % fmt, con.text())
    for cmd, wanted in checks:
        out = line_command(con, cmd) if boot is not None else None
        tap.point(out is not None and all(w in out for w in wanted), '%s: %s' % (fmt, cmd),
              (out or b'').decode(errors='replace') or con.text())
    status = con.poweroff(send=boot is not None)
    tap.point(status == 0, '%s: poweroff ends the process with status 0 (got %s)' % (fmt, status))
    return expected


def virtio_blk(emulator, img, uboot):
    """A raw and a qcow2 image holding sector_pattern(), each on
    -drive ...,if=virtio, seen through U-Boot's virtio block commands."""
    images = [('raw', 2048), ('qcow2', 6144)]
    print('1..%d' % (len(images) * 11))
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, sectors in images:
            original = b''.join(sector_pattern(n) for n in range(sectors))
            raw = os.path.join(tmp, 'pattern-%s.raw' % fmt)
            with open(raw, 'wb') as f:
                f.write(original)
            path = raw
            if fmt == 'qcow2':
                path = os.path.join(tmp, 'pattern.qcow2')
                subprocess.run([img, 'convert', '-f', 'raw', '-O', 'qcow2', raw, path],
                               check=True)
            expected = blk_drive_test(emulator, uboot, fmt, path, sectors, original)
            back = os.path.join(tmp, 'back-%s.raw' % fmt)
            subprocess.run([img, 'convert', '-f', fmt, '-O', 'raw', path, back], check=True)
            with open(back, 'rb') as f:
                got = f.read()
            diff = [i // SECTOR for i in range(0, len(expected), SECTOR)
                    if got[i:i + SECTOR] != expected[i:i + SECTOR]]
            tap.point(len(got) == len(expected) and not diff,
                  '%s: the image holds the written sectors 16-23 and nothing else changed'
                  % fmt, 'size %d (want %d), differing sectors %s'
                  % (len(got), len(expected), diff[:16]))
    return 0 if tap.all_passed() else 1


def main():
    if sys.argv[1] == '--time':
        return time_to_prompt(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else UBOOT)
    if sys.argv[1] == '--virtio':
        return virtio_slots(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else UBOOT)
    if sys.argv[1] == '--virtio-blk':
        return virtio_blk(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else UBOOT)
    if sys.argv[1] == '--bench-blk':
        return bench_blk(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else UBOOT)
    if sys.argv[1] == '--virtio-net':
        return virtio_net(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else UBOOT)
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
    tap.point(banner is not None, 'OpenSBI banner', con.text())
    # autoboot finds nothing to boot and falls back to the prompt
    boot = con.wait_for(PROMPT, 120) if banner is not None else None
    tap.point(boot is not None, 'U-Boot prompt', con.text())
    for cmd, wanted in checks:
        out = con.command(cmd) if boot is not None else None
        ok = out is not None and all(w in out for w in wanted)
        tap.point(ok, cmd, (out or b'').decode(errors='replace') or con.text())
    status = con.poweroff(send=boot is not None)
    tap.point(status == 0, 'poweroff ends the process with status 0 (got %s)' % status)
    return 0 if tap.all_passed() else 1


if __name__ == '__main__':
    sys.exit(main())
