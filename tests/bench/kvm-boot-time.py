#!/usr/bin/env python3
"""Boot times of an x86-64 microvm under KVM: from process start to a line
on the serial console, and the process's peak RSS (VmHWM) at that moment.

    kvm-boot-time.py seabios EMULATOR
        Debian's SeaBIOS up to its boot search ("Booting from"; it waits
        about 2 s for a boot menu key before); prints
        "SEARCH_SECONDS RSS_KIB BANNER_SECONDS"
    kvm-boot-time.py linux EMULATOR
        Debian's linux-image-amd64 booted directly with the initramfs of
        tests/kvm/kvm-linux.py, up to its /init's marker; prints
        "MARKER_SECONDS RSS_KIB". Where this host's KVM cannot run Linux
        it prints "SKIP: the reason" and exits 0.

EMULATOR is proteus-system-x86_64 or qemu-system-x86_64 (same machine,
without ACPI for QEMU). Exits 1 (with the console so far on stderr) when
the line does not come within 60 s.
"""
import importlib.util
import os
import select
import subprocess
import sys
import tempfile
import time

SEABIOS = '/usr/share/seabios/bios-microvm.bin'


def kvm_linux():
    """tests/kvm/kvm-linux.py, for its kernel, initramfs and host checks."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'kvm',
                        'kvm-linux.py')
    spec = importlib.util.spec_from_file_location('kvm_linux', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


def machine(emulator):
    if 'qemu' in os.path.basename(emulator):
        return [emulator, '-M', 'microvm,acpi=off', '-accel', 'kvm', '-nodefaults']
    return [emulator, '-M', 'microvm', '-accel', 'kvm', '-nodefaults']


def measure(cmd, marker, early=None):
    """Seconds until marker, peak RSS then, seconds until early (or None);
    None when marker does not come."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = b''
    early_at = None
    try:
        while marker not in out and time.monotonic() - start < 60:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
                if early and early_at is None and early in out:
                    early_at = time.monotonic() - start
        elapsed = time.monotonic() - start
        rss = peak_rss_kib(proc.pid) if proc.poll() is None else 0
    finally:
        proc.kill()
        proc.wait()
    if marker not in out:
        sys.stderr.write(out.decode(errors='replace'))
        return None
    return elapsed, rss, early_at


def seabios(emulator):
    cmd = machine(emulator) + ['-m', '128M', '-bios', SEABIOS, '-nographic', '-serial', 'stdio']
    r = measure(cmd, b'Booting from', b'SeaBIOS (version')
    if not r:
        return 1
    print('%.3f %d %.3f' % r)
    return 0


def linux(emulator):
    kl = kvm_linux()
    reason = kl.why_no_linux()
    kernel = kl.kernel_image()
    if reason or not kernel:
        print('SKIP: %s' % (reason or 'no /boot/vmlinuz-* (linux-image-amd64 package)'))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        initrd = os.path.join(tmp, 'initramfs.cpio')
        kl.initramfs(initrd)
        cmd = machine(emulator) + ['-m', '256', '-smp', '2', '-kernel', kernel,
                                   '-initrd', initrd, '-append', 'console=ttyS0 panic=-1 quiet',
                                   '-display', 'none', '-serial', 'stdio',
                                   '-device', 'isa-debug-exit,iobase=0x%x' % kl.DEBUG_EXIT_PORT]
        r = measure(cmd, kl.MARKER)
    if not r:
        return 1
    print('%.3f %d' % r[:2])
    return 0


def main():
    mode, emulator = sys.argv[1], sys.argv[2]
    return seabios(emulator) if mode == 'seabios' else linux(emulator)


if __name__ == '__main__':
    sys.exit(main())
