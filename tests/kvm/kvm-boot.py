#!/usr/bin/env python3
#
# Whole-system tests of -M microvm under -accel kvm. TAP output, one test
# point per check.
#
#   kvm-boot.py --seabios PROTEUS_SYSTEM_X86_64 [BIOS]
#       Debian's SeaBIOS for microvm (seabios package) up to its boot
#       search: the banner on the serial console, the E820 map on the debug
#       console, "Booting from" and "No bootable device"; a -fw_cfg file
#       sets its retry delay; with -smp 2 it must find both CPUs.
#   kvm-boot.py --guest PROTEUS_SYSTEM_X86_64 GUEST_BIN
#       tests/kvm/guest.S: real, protected and long mode, a machine reset,
#       MMIO, fw_cfg DMA, PIT interrupts, a virtio-rng request with its
#       interrupt, a second CPU; each step's line on the UART, and the exit
#       status it reports through isa-debug-exit. The same guest runs under
#       QEMU's microvm too where qemu-system-x86_64 is installed.
#   kvm-boot.py --errors PROTEUS_SYSTEM_X86_64
#       accelerator errors: a clear message and exit status 1.
#
# Without /dev/kvm the whole test is skipped (it exists wherever CI runs).

import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import tap  # noqa: E402

SEABIOS = '/usr/share/seabios/bios-microvm.bin'


def in_order(data, texts):
    """Whether every bytes in texts appears in data, each after the one before."""
    at = 0
    for t in texts:
        at = data.find(t, at)
        if at < 0:
            return False
        at += len(t)
    return True


def run_until(argv, texts, timeout, debugcon=None, debug_texts=()):
    """Runs argv until the bytes in texts appeared on its stdout, in that
    order, and every one of debug_texts in the debugcon file, or timeout; kills it;
    returns the output and the debug console's text."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = b''
    deadline = time.monotonic() + timeout

    def debug_text():
        if debugcon and os.path.exists(debugcon):
            with open(debugcon, 'rb') as f:
                return f.read()
        return b''

    while time.monotonic() < deadline:
        if in_order(out, texts) and all(t in debug_text() for t in debug_texts):
            break
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
    proc.kill()
    proc.wait()
    return out, debug_text()


def seabios(emulator, bios):
    with tempfile.TemporaryDirectory() as tmp:
        debugcon = os.path.join(tmp, 'debugcon.txt')
        argv = [emulator, '-M', 'microvm', '-accel', 'kvm', '-bios', bios, '-nographic',
                '-debugcon', 'file:' + debugcon]
        start = time.monotonic()
        out, dbg = run_until(argv, [b'No bootable device'], 60, debugcon)
        seconds = time.monotonic() - start
        detail = (out + b'\n--- debugcon ---\n' + dbg).decode(errors='replace')
        tap.point(b'SeaBIOS (version ' in out, 'SeaBIOS banner on the serial console', detail)
        tap.point(b'e820 map has ' in dbg and
              b': 0000000000000000 - 000000000009fc00 = 1 RAM' in dbg and
              b': 0000000000100000 - 0000000008000000 = 1 RAM' in dbg,
              'E820 map with the RAM (debug console)', detail)
        tap.point(b'Found QEMU fw_cfg' in dbg and b'fw_cfg DMA interface supported' in dbg,
              'fw_cfg with DMA found', detail)
        tap.point(b'Booting from ' in out, 'boot search started', detail)
        tap.point(b'No bootable device' in out, 'boot search ended (%.2f s)' % seconds, detail)

        # -fw_cfg: SeaBIOS's retry delay (a little-endian integer, in ms) set
        # to 1 s. (The reboot after it does not come on this host's nested
        # KVM, under QEMU neither: the guest test checks resets.)
        wait = os.path.join(tmp, 'boot-fail-wait')
        with open(wait, 'wb') as f:
            f.write(struct.pack('<I', 1000))
        argv = [emulator, '-M', 'microvm', '-accel', 'kvm', '-bios', bios, '-nographic',
                '-fw_cfg', 'name=etc/boot-fail-wait,file=' + wait]
        out, _ = run_until(argv, [b'Retrying in 1 seconds'], 60)
        tap.point(b'Retrying in 1 seconds' in out, '-fw_cfg file read by the firmware',
              out.decode(errors='replace'))

        dbg2 = os.path.join(tmp, 'debugcon2.txt')
        argv = [emulator, '-M', 'microvm', '-accel', 'kvm', '-smp', '2', '-bios', bios,
                '-display', 'none', '-serial', 'null', '-debugcon', 'file:' + dbg2]
        out, dbg = run_until(argv, [], 60, dbg2, [b'Found 2 cpu(s)'])
        tap.point(b'Found 2 cpu(s)' in dbg, '-smp 2: SeaBIOS starts the second CPU',
              (out + dbg).decode(errors='replace'))


GUEST_STEPS = ['real mode', 'protected mode', 'reset ok', 'long mode', 'mmio ok', 'fw_cfg ok',
               'pit ok', 'virtio ok', 'ap ok']
GUEST_EXIT = 0x10 << 1 | 1
QEMU = 'qemu-system-x86_64'


def run_guest(argv):
    """Runs the guest; its UART lines, exit status (None: timed out), output."""
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=60)
        out, status = proc.stdout.decode(errors='replace'), proc.returncode
    except subprocess.TimeoutExpired as e:
        out, status = (e.stdout or b'').decode(errors='replace'), None
    return out.splitlines(), status, out


def guest(emulator, image):
    """tests/kvm/guest.S under proteus and, where it is installed, under QEMU's
    microvm (without ACPI, so its virtio slots use IRQ 5-12 as proteus's do):
    a step that fails under QEMU as well is this host's KVM module's limit
    (a SKIP naming it); one that works under QEMU must work under proteus."""
    devices = ['-smp', '2', '-bios', image, '-display', 'none', '-serial', 'stdio',
               '-device', 'isa-debug-exit,iobase=0xf4', '-device', 'virtio-rng-device']
    lines, status, out = run_guest([emulator, '-M', 'microvm', '-accel', 'kvm'] + devices)
    qemu = shutil.which(QEMU)
    if qemu:
        q_lines, q_status, q_out = run_guest(
            [qemu, '-M', 'microvm,acpi=off,ioapic2=off', '-accel', 'kvm', '-nodefaults',
             '-global', 'virtio-mmio.force-legacy=false'] + devices)
        print('# under %s: %s, exit status %s' % (QEMU, ', '.join(
            step for step in GUEST_STEPS if step in q_lines) or 'no step', q_status))
    for step in GUEST_STEPS:
        if step not in lines and qemu and step not in q_lines:
            tap.skip('guest: ' + step, 'fails under %s -accel kvm too: a limit of this '
                     "host's KVM" % QEMU)
        else:
            tap.point(step in lines, 'guest: ' + step, out)
    what = 'guest: exit status %d through isa-debug-exit (got %s)' % (GUEST_EXIT, status)
    if status != GUEST_EXIT and qemu and q_status != GUEST_EXIT:
        tap.skip(what, 'QEMU gets %s too' % q_status)
    else:
        tap.point(status == GUEST_EXIT, what, out)
    notifies(emulator, devices)
    cpu_model(emulator, devices, qemu)


def cpuid_words(lines):
    """The guest's "cpuid 1:ecx=X 7:ebx=Y" line as (ecx, ebx), or None."""
    for line in lines:
        m = re.match(r'cpuid 1:ecx=([0-9a-f]{8}) 7:ebx=([0-9a-f]{8})$', line)
        if m:
            return int(m.group(1), 16), int(m.group(2), 16)
    return None


def cpu_model(emulator, devices, qemu):
    """-cpu x86-64-v1 hides AVX (CPUID.1:ECX bit 28) and AVX2 (CPUID.7:EBX
    bit 5) from the guest. Where QEMU's guest sees them through -cpu qemu64
    too, this host's KVM does not intercept CPUID (kvm_pvm runs it
    natively): a SKIP naming that."""
    lines, status, out = run_guest([emulator, '-M', 'microvm', '-accel', 'kvm',
                                    '-cpu', 'x86-64-v1'] + devices)
    words = cpuid_words(lines)
    hidden = words is not None and not words[0] & (1 << 28) and not words[1] & (1 << 5)
    what = '-cpu x86-64-v1: CPUID shows the guest no AVX or AVX2 (%s)' % (
        'ecx %08x ebx %08x' % words if words else 'no cpuid line')
    if not hidden and words and qemu:
        q_lines, _, _ = run_guest([qemu, '-M', 'microvm,acpi=off,ioapic2=off', '-accel', 'kvm',
                                   '-nodefaults', '-cpu', 'qemu64',
                                   '-global', 'virtio-mmio.force-legacy=false'] + devices)
        q_words = cpuid_words(q_lines)
        if q_words and q_words[0] & (1 << 28):
            tap.skip(what, "QEMU's -cpu qemu64 guest sees AVX too: this host's KVM does "
                     'not intercept CPUID')
            return
    tap.point(hidden and status == GUEST_EXIT, what, out)


def notifies(emulator, devices):
    """The guest's QueueNotify: taken by KVM through the ioeventfd, so the
    device never sees the write; with -global virtio-mmio.ioeventfd=off it
    exits and reaches the device's register (the device trace shows it)."""
    for extra, exits in (([], False), (['-global', 'virtio-mmio.ioeventfd=off'], True)):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, 'trace.log')
            lines, status, out = run_guest([emulator, '-M', 'microvm', '-accel', 'kvm'] +
                                           devices + extra + ['-d', 'trace_dev', '-D', log])
            trace = ''
            if os.path.exists(log):     # opened at the first line logged
                with open(log, errors='replace') as f:
                    trace = f.read()
        seen = 'virtio-mmio: write 0x050 <- 0x00000000' in trace
        tap.point('virtio ok' in lines and status == GUEST_EXIT and seen == exits,
                  'virtio notify %s' % ('exits to the device with ioeventfd=off' if exits
                                        else 'taken by the ioeventfd, no exit'),
                  out + '\n'.join(trace.splitlines()[-10:]))


def errors(emulator):
    no_kvm = dict(os.environ, PROTEUS_KVM_DEVICE='/nonexistent/kvm')
    cases = [
        ([emulator, '-M', 'microvm', '-accel', 'tcg'], None,
         'x86_64 has no TCG frontend yet', '-accel tcg on x86_64 is refused'),
        ([emulator, '-M', 'microvm', '-accel', 'tcg:kvm', '-bios', '/nonexistent/bios.bin'],
         None, '-bios /nonexistent/bios.bin', 'tcg:kvm falls back to kvm (then -bios fails)'),
        ([emulator.replace('x86_64', 'riscv64'), '-accel', 'kvm'], None,
         'KVM runs x86_64 guests on this host, not riscv64', 'a riscv64 guest under kvm'),
        ([emulator, '-M', 'microvm', '-accel', 'kvm', '-cpu', 'pentium'], None,
         '-cpu pentium: unknown x86_64 CPU model (host, max, x86-64-v1', 'an unknown -cpu'),
        ([emulator, '-M', 'microvm', '-accel', 'kvm', '-cpu', 'x86-64-v2,turbo'], None,
         "-cpu x86-64-v2,turbo: unknown option 'turbo'", 'an unknown -cpu option'),
        ([emulator, '-M', 'microvm', '-accel', 'kvm:tcg'], no_kvm,
         '-accel kvm: /nonexistent/kvm does not exist: this host offers no KVM',
         'no KVM device: kvm:tcg gives both reasons'),
    ]
    for argv, env, message, what in cases:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30, env=env)
        out = proc.stdout.decode(errors='replace')
        tap.point(proc.returncode == 1 and message in out, what, out)


def main():
    mode, emulator = sys.argv[1], sys.argv[2]
    if not os.path.exists('/dev/kvm'):
        print('1..0 # SKIP /dev/kvm does not exist on this host')
        return 0
    if mode == '--seabios':
        bios = sys.argv[3] if len(sys.argv) > 3 else SEABIOS
        if not os.path.exists(bios):
            print('1..0 # SKIP %s is not installed (seabios package)' % bios)
            return 0
        seabios(emulator, bios)
    elif mode == '--guest':
        guest(emulator, sys.argv[3])
    else:
        errors(emulator)
    print('1..%d' % len(tap.results))
    return 0 if tap.all_passed() else 1


if __name__ == '__main__':
    sys.exit(main())
