#!/usr/bin/env python3
#
# Linux boot on -M microvm -accel kvm: directly (no firmware) and through
# SeaBIOS with -bios. TAP output.
#
#   kvm-linux.py PROTEUS_SYSTEM_X86_64 PVH_GUEST_ELF
#
# 1. Errors: a file that is no kernel, a missing initrd, -initrd without
#    -kernel, a kernel larger than RAM, and with -bios a file that is no
#    bzImage and a PVH ELF (which only boots directly): one message naming
#    the file and the reason, exit status 1.
# 2. PVH: tests/kvm/pvh-guest.S, entered at its Xen note's entry, prints
#    what its hvm_start_info gives (command line with the virtio-mmio
#    slots, initrd, memory map size), resets the machine once (and must
#    start the same way again), then exits through isa-debug-exit.
# 3. The boot protocol as far as Debian's bzImage (linux-image-amd64) reads
#    it before Linux proper runs: its decompressor, entered at the 32-bit
#    entry with the zero page, finds "earlyprintk=ttyS0" and "nokaslr"
#    through cmd_line_ptr and says so on the UART. Runs on any KVM host.
# 3b. The same through Debian's SeaBIOS (-bios bios-microvm.bin): the
#    firmware's banner, then "Booting from ROM..." (it boots the option ROM
#    hw/i386/optionrom/linuxboot.S, which loads the parts from fw_cfg),
#    then the kernel's real-mode setup code ("Probing EDD", which it
#    prints, with earlyprintk=ttyS0, both through the BIOS and to the UART
#    itself), then the decompressor's "nokaslr" line, in this order. Then
#    the monitor (xp) reads back the command line at 0x20000 (-append and
#    the virtio-mmio slots) and the initrd, a pattern made here, at the
#    address the board chose: as high as it goes below the firmware's
#    last MiB.
# 4. Linux itself: an initramfs built here (a cpio "newc" archive with
#    Debian's static busybox and an /init script) prints PROTEUS-LINUX-OK
#    and ends the machine through isa-debug-exit (written through
#    /dev/port: without ACPI, "poweroff -f" only halts Linux, which init
#    tries last). Skipped where the host's KVM cannot run Linux: the nested
#    kvm_pvm module, or a CPU without VMX/SVM (Linux does not get past its
#    decompressor there, under QEMU either).
#
# Without /dev/kvm the whole test is skipped (it exists wherever CI runs).

import glob
import itertools
import os
import re
import select
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import tap  # noqa: E402

BUSYBOX = '/bin/busybox'
SEABIOS = '/usr/share/seabios/bios-microvm.bin'
MARKER = b'PROTEUS-LINUX-OK'
DEBUG_EXIT_PORT = 0xf4
# isa-debug-exit: the process exits with (value << 1) | 1
EXIT_VALUE = 0x21
INIT = '''#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mknod /dev/port c 1 4
echo PROTEUS-LINUX-OK
/bin/busybox printf '\\%o' | /bin/busybox dd of=/dev/port bs=1 seek=%d 2>/dev/null
/bin/busybox poweroff -f
''' % (EXIT_VALUE, DEBUG_EXIT_PORT)


def kernel_image():
    images = sorted(glob.glob('/boot/vmlinuz-*'))
    return images[-1] if images else None


def why_no_linux():
    """Why this host's KVM cannot run Linux, or None."""
    if os.path.exists('/sys/module/kvm_pvm'):
        return 'the host KVM is the nested kvm_pvm module, which does not run Linux guests'
    with open('/proc/cpuinfo') as f:
        flags = set()
        for line in f:
            if line.startswith('flags'):
                flags.update(line.split(':', 1)[1].split())
    if not flags & {'vmx', 'svm'}:
        return 'the host CPU has no VMX/SVM: its KVM is not hardware-backed'
    return None


# ---- a cpio "newc" archive (the initramfs format, early-userspace docs) ----

INODES = itertools.count(1)


def cpio_entry(name, mode, data=b'', rdev=(0, 0)):
    """One member: the 110-byte ASCII header, the name and the data, each
    padded to 4 bytes."""
    name_bytes = name.encode() + b'\0'
    fields = [next(INODES), mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_bytes), 0]
    head = b'070701' + b''.join(b'%08x' % v for v in fields) + name_bytes
    head += b'\0' * (-len(head) % 4)
    return head + data + b'\0' * (-len(data) % 4)


def initramfs(path):
    with open(BUSYBOX, 'rb') as f:
        busybox = f.read()
    parts = [cpio_entry(d, stat.S_IFDIR | 0o755) for d in ('bin', 'dev', 'proc', 'sys')]
    parts.append(cpio_entry('dev/console', stat.S_IFCHR | 0o600, rdev=(5, 1)))
    parts.append(cpio_entry('bin/busybox', stat.S_IFREG | 0o755, busybox))
    parts.append(cpio_entry('bin/sh', stat.S_IFLNK | 0o777, b'busybox'))
    parts.append(cpio_entry('init', stat.S_IFREG | 0o755, INIT.encode()))
    parts.append(cpio_entry('TRAILER!!!', 0))
    with open(path, 'wb') as f:
        f.write(b''.join(parts))


def run(argv, timeout, until=None, then=None):
    """Runs argv with the console on stdout until it exits, until the bytes
    until appear in its output (then, if given, is called first), or
    timeout; its output and exit status (None when it was stopped)."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = b''
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (until and until in out):
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        chunk = os.read(proc.stdout.fileno(), 65536) if ready else None
        if chunk == b'':
            proc.wait()
            return out, proc.returncode
        out += chunk or b''
    if then and until in out:
        then()
    proc.kill()
    proc.wait()
    return out, None


def errors(emulator, kernel, pvh_guest, tmp):
    not_kernel = os.path.join(tmp, 'not-a-kernel')
    with open(not_kernel, 'wb') as f:
        f.write(b'\x90' * 4096)
    base = [emulator, '-M', 'microvm', '-accel', 'kvm', '-display', 'none', '-serial', 'none']
    cases = [
        (['-kernel', not_kernel],
         '-kernel %s: not a Linux kernel: neither a bzImage' % not_kernel, 'not a kernel'),
        (['-kernel', kernel, '-initrd', '/nonexistent/initrd.img'],
         '-initrd /nonexistent/initrd.img: ', 'a missing initrd'),
        (['-initrd', not_kernel], '-initrd: needs -kernel', '-initrd without -kernel'),
        (['-m', '8', '-kernel', kernel], '-kernel %s: too large' % kernel,
         'a kernel larger than RAM'),
        (['-kernel', not_kernel, '-bios', SEABIOS],
         '-kernel %s: not a Linux bzImage (no "HdrS" header at 0x202), which is what the '
         'firmware boots' % not_kernel, 'not a bzImage, with -bios'),
        (['-kernel', pvh_guest, '-bios', SEABIOS],
         '-kernel %s: an ELF file, which only boots directly (PVH), not through the firmware'
         % pvh_guest, 'a PVH kernel with -bios'),
    ]
    for args, message, what in cases:
        out, status = run(base + args, 30)
        text = out.decode(errors='replace')
        tap.point(status == 1 and message in text and text.count('\n') == 1,
                  'error: ' + what, text)


def virtio_slots():
    """The virtio_mmio.device= entries microvm appends to the command line."""
    return ' '.join('virtio_mmio.device=512@0x%x:%d' % (0xfeb00000 + i * 0x200, 5 + i)
                    for i in range(8))


def pvh(emulator, guest, tmp):
    initrd = os.path.join(tmp, 'pvh-initrd')
    with open(initrd, 'wb') as f:
        f.write(b'initrd-text\n')
    argv = [emulator, '-M', 'microvm', '-accel', 'kvm', '-kernel', guest, '-initrd', initrd,
            '-append', 'pvh cmdline', '-display', 'none', '-serial', 'stdio',
            '-device', 'isa-debug-exit,iobase=0x%x' % DEBUG_EXIT_PORT]
    out, status = run(argv, 30)
    lines = out.decode(errors='replace').splitlines()
    tap.point(lines[:1] == ['pvh magic ok'], 'PVH: entered with EBX = hvm_start_info', out)
    tap.point(lines[1:2] == ['pvh cmdline ' + virtio_slots()],
              'PVH: -append and the virtio-mmio slots at cmdline_paddr', out)
    tap.point(lines[2:4] == ['initrd-text', 'memmap 4'],
              'PVH: the initrd as module 0, the 4-entry E820 map', out)
    tap.point(lines[4:] == ['reset'] + lines[:4],
              'PVH: after a machine reset, the same start again', out)
    tap.point(status == (EXIT_VALUE << 1 | 1), 'PVH: exit status %d (got %s)'
              % (EXIT_VALUE << 1 | 1, status), out)


def decompressor(emulator, kernel):
    argv = [emulator, '-M', 'microvm', '-accel', 'kvm', '-m', '256', '-kernel', kernel,
            '-append', 'earlyprintk=ttyS0 nokaslr', '-display', 'none', '-serial', 'stdio']
    seen = b"KASLR disabled: 'nokaslr' on cmdline."
    out, _ = run(argv, 30, seen)
    tap.point(seen in out,
              'the bzImage decompressor runs and reads the command line', out)


def monitor_command(path, command):
    """The output of one HMP command on the monitor at the socket path."""
    prompt = b'(proteus) '
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(path)
        got = b''
        while got.count(prompt) < 1:
            got += s.recv(4096)
        s.sendall(command.encode() + b'\n')
        got = b''
        while got.count(prompt) < 1:
            got += s.recv(4096)
    return got.decode(errors='replace')


def read_guest(path, addr, length):
    """length bytes of guest memory at physical addr, through xp."""
    text = monitor_command(path, 'xp /%dxb 0x%x' % (length, addr))
    return bytes(int(b, 16) for b in re.findall(r'\b0x([0-9a-f]{2})\b', text))


def firmware(emulator, kernel, tmp):
    initrd = os.path.join(tmp, 'pattern-initrd')
    data = bytes((i * 131 + (i >> 8)) & 0xff for i in range(300000))
    with open(initrd, 'wb') as f:
        f.write(data)
    monitor = os.path.join(tmp, 'monitor.sock')
    ram = 256 << 20
    # as high as it goes, page aligned, below the top MiB (the firmware's)
    initrd_addr = (ram - (1 << 20) - len(data)) & ~0xfff
    append = 'console=ttyS0 earlyprintk=ttyS0 nokaslr'
    cmdline = ('%s %s' % (append, virtio_slots())).encode() + b'\0'
    argv = [emulator, '-M', 'microvm', '-accel', 'kvm', '-m', '256', '-bios', SEABIOS,
            '-kernel', kernel, '-initrd', initrd, '-append', append, '-display', 'none',
            '-serial', 'stdio', '-monitor', 'unix:%s,server=on,wait=off' % monitor]
    seen = b"KASLR disabled: 'nokaslr' on cmdline."
    got = {}

    def read_back():
        got['cmdline'] = read_guest(monitor, 0x20000, len(cmdline))
        got['initrd head'] = read_guest(monitor, initrd_addr, 16)
        got['initrd tail'] = read_guest(monitor, initrd_addr + len(data) - 16, 16)

    out, _ = run(argv, 60, seen, read_back)
    at = 0
    for marker, what in [(b'SeaBIOS (version ', 'the SeaBIOS banner'),
                         (b'Booting from ROM...', 'SeaBIOS boots the linuxboot option ROM'),
                         (b'PPrroobbiinngg  EEDDDD', 'the real-mode setup code runs and '
                          'reads earlyprintk=ttyS0 through cmd_line_ptr'),
                         (seen, 'the decompressor runs and reads the command line')]:
        found = out.find(marker, at)
        tap.point(found >= 0, '-bios: ' + what, out)
        at = found if found >= 0 else at
    tap.point(got.get('cmdline') == cmdline,
              '-bios: -append and the virtio-mmio slots at 0x20000',
              'read back: %s\n%s' % (got, out.decode(errors='replace')))
    tap.point(got.get('initrd head') == data[:16] and got.get('initrd tail') == data[-16:],
              '-bios: the initrd, whole, at 0x%x' % initrd_addr,
              'read back: %s\n%s' % (got, out.decode(errors='replace')))


def linux(emulator, kernel, tmp):
    reason = why_no_linux()
    if reason:
        tap.skip('Linux boot', reason)
        return
    if not os.path.exists(BUSYBOX):
        tap.point(False, 'Linux boot: %s is missing (busybox-static package)' % BUSYBOX)
        return
    initrd = os.path.join(tmp, 'initramfs.cpio')
    initramfs(initrd)
    argv = [emulator, '-M', 'microvm', '-accel', 'kvm', '-m', '256', '-smp', '2',
            '-kernel', kernel, '-initrd', initrd,
            '-append', 'console=ttyS0 panic=-1 quiet', '-display', 'none', '-serial', 'stdio',
            '-device', 'isa-debug-exit,iobase=0x%x' % DEBUG_EXIT_PORT]
    out, status = run(argv, 120)
    tap.point(MARKER in out, 'Linux boot: /init printed ' + MARKER.decode(), out)
    tap.point(status == (EXIT_VALUE << 1 | 1),
              'Linux boot: the machine ended with status %d (got %s)'
              % (EXIT_VALUE << 1 | 1, status), out)


def main():
    emulator, pvh_guest = sys.argv[1], sys.argv[2]
    if not os.path.exists('/dev/kvm'):
        print('1..0 # SKIP /dev/kvm does not exist on this host')
        return 0
    kernel = kernel_image()
    with tempfile.TemporaryDirectory() as tmp:
        pvh(emulator, pvh_guest, tmp)
        if not kernel:
            tap.point(False, 'no /boot/vmlinuz-* (linux-image-amd64 package)')
        else:
            errors(emulator, kernel, pvh_guest, tmp)
            decompressor(emulator, kernel)
            firmware(emulator, kernel, tmp)
            linux(emulator, kernel, tmp)
    return tap.plan()


if __name__ == '__main__':
    sys.exit(main())
