#!/usr/bin/env python3
"""Tests of the example instrumentation plugins (plugins/examples), TAP
output for meson's protocol: 'tap'.

The guest programs have dynamic counts known from their source (see the
top comments of loop.S and system-loop.S): with N iterations, loop runs
19 + 6N instructions with 2N loads and N stores, and system-loop, on the
virt board, 15 + 6N instructions. Each test runs an emulator with plugins
and checks what they print (on stderr) against those numbers, against
-strace, against each other, or checks the emulator's refusal of a bad
plugin or a bad option.
"""

import argparse
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile

TIMEOUT = 120


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--user', required=True, help='proteus-riscv64')
    p.add_argument('--system', required=True, help='proteus-system-riscv64')
    p.add_argument('--plugin-dir', required=True, help='where libinsn.so... are')
    p.add_argument('--bad-version', required=True, help='the bad-version plugin')
    p.add_argument('--loop', required=True, help='loop.S built with --iterations')
    p.add_argument('--short-loop', required=True, help='loop.S built with 3 iterations')
    p.add_argument('--crash-loop', required=True,
                   help='loop.S built with 3 iterations and -DCRASH')
    p.add_argument('--system-loop', required=True, help='system-loop.S, --iterations')
    p.add_argument('--iterations', required=True, type=int)
    p.add_argument('--libc-program', required=True,
                   help='a static C program, for the syscall comparison')
    p.add_argument('--nm', required=True, help='riscv64-linux-gnu-nm')
    return p.parse_args()


class Run:
    """The result of one emulator run: status, stdout and stderr as text."""

    def __init__(self, cmd, env=None):
        self.cmd = cmd
        full_env = dict(os.environ)
        for var in ('PROTEUS_PLUGIN', 'PROTEUS_STRACE'):     # they would add output
            full_env.pop(var, None)
        full_env.update(env or {})
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           env=full_env, timeout=TIMEOUT, check=False)
        self.status = r.returncode
        self.out = r.stdout.decode(errors='replace')
        self.err = r.stderr.decode(errors='replace')

    def describe(self):
        lines = ['command: ' + ' '.join(self.cmd), 'exit status: %d' % self.status]
        lines += ['stderr: ' + l for l in self.err.splitlines()[:20]]
        return lines


class Failure(Exception):
    """A failed check: its message and the lines explaining it."""

    def __init__(self, message, details=()):
        super().__init__(message)
        self.details = list(details)


def check(cond, message, run=None):
    if not cond:
        raise Failure(message, run.describe() if run else ())


def number(run, pattern, what):
    """The integer that pattern's first group matches in run's stderr."""
    m = re.search(pattern, run.err, re.M)
    check(m is not None, 'no %s in the output' % what, run)
    return int(m.group(1), 0)


class PluginTests:
    def __init__(self, args, tmp):
        self.a = args
        self.n = args.iterations
        self.insns = 19 + 6 * self.n
        self.tmp = tmp

    def plugin(self, name, *opts):
        spec = os.path.join(self.a.plugin_dir, 'lib%s.so' % name)
        return ','.join([spec] + list(opts))

    def user(self, program, *plugins, extra=(), env=None):
        cmd = [self.a.user] + list(extra)
        for p in plugins:
            cmd += ['-plugin', p]
        return Run(cmd + [program], env)

    def user_ok(self, program, *plugins, extra=(), env=None):
        run = self.user(program, *plugins, extra=extra, env=env)
        check(run.status == 0, 'the run failed', run)
        return run

    def symbol(self, program, name):
        out = subprocess.run([self.a.nm, program], capture_output=True, check=True,
                             text=True).stdout
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[2] == name:
                return int(fields[0], 16)
        raise Failure('no symbol %s in %s' % (name, program))

    # ---- the tests: each raises Failure or returns ----

    def insn_count(self, inline):
        run = self.user_ok(self.a.loop, self.plugin('insn', 'inline=' + inline))
        got = number(run, r'^insns: (\d+)$', 'insns: N')
        check(got == self.insns, 'insns: %d, expected %d' % (got, self.insns), run)

    def test_insn_inline(self):
        """insn inline=on counts the loop program exactly"""
        self.insn_count('on')

    def test_insn_callbacks(self):
        """insn inline=off counts the loop program exactly"""
        self.insn_count('off')

    def test_atexit_on_signal(self):
        """a guest killed by SIGSEGV still gets the plugins' atexit (insn's count)"""
        run = self.user(self.a.crash_loop, self.plugin('insn'))
        check(run.status == -signal.SIGSEGV, 'the guest did not die of SIGSEGV', run)
        got = number(run, r'^insns: (\d+)$', 'insns: N')
        check(got == 17 + 6 * 3, 'insns: %d, expected %d' % (got, 17 + 6 * 3), run)

    def test_insn_classes(self):
        """insn classes of the loop program: loads, stores, branches, ALU, system"""
        run = self.user_ok(self.a.loop, self.plugin('insn', 'classes=on'))
        n = self.n
        # ALU: the loop's add and addi, and 16 li/lui/auipc/addi outside it
        want = {'load': 2 * n, 'store': n, 'branch': n, 'jump': 0, 'alu': 2 * n + 16,
                'muldiv': 0, 'system': 3, 'compressed': 0}
        for cls, count in want.items():
            got = number(run, r'^\s+%s\s+(\d+)$' % cls, 'class ' + cls)
            check(got == count, 'class %s: %d, expected %d' % (cls, got, count), run)

    def mem_counts(self, inline):
        run = self.user_ok(self.a.loop, self.plugin('mem', 'inline=' + inline))
        loads = number(run, r'^loads: (\d+) stores: \d+$', 'loads: N')
        stores = number(run, r'^loads: \d+ stores: (\d+)$', 'stores: M')
        check((loads, stores) == (2 * self.n, self.n),
              'loads %d stores %d, expected %d and %d' % (loads, stores, 2 * self.n, self.n),
              run)
        return run

    def test_mem_inline(self):
        """mem inline=on counts loads and stores exactly"""
        self.mem_counts('on')

    def test_mem_callbacks(self):
        """mem inline=off counts loads and stores exactly, by size"""
        run = self.mem_counts('off')
        for size, loads, stores in ((4, self.n, 0), (8, self.n, self.n), (1, 0, 0)):
            m = re.search(r'^size +%d: loads (\d+) stores (\d+)$' % size, run.err, re.M)
            check(m is not None, 'no size %d line' % size, run)
            got = (int(m.group(1)), int(m.group(2)))
            check(got == (loads, stores), 'size %d: %s, expected %s'
                  % (size, got, (loads, stores)), run)

    def test_interpreter(self):
        """the same insn and mem counts on the IR interpreter, inline and callbacks"""
        interp = ['-accel', 'tcg,backend=interp']
        for inline in ('on', 'off'):
            run = self.user_ok(self.a.loop, self.plugin('insn', 'inline=' + inline),
                               self.plugin('mem', 'inline=' + inline), extra=interp)
            insns = number(run, r'^insns: (\d+)$', 'insns: N')
            loads = number(run, r'^loads: (\d+) stores', 'loads')
            stores = number(run, r'^loads: \d+ stores: (\d+)$', 'stores')
            check((insns, loads, stores) == (self.insns, 2 * self.n, self.n),
                  'inline=%s: insns %d loads %d stores %d' % (inline, insns, loads, stores),
                  run)

    def test_hotblocks(self):
        """hotblocks puts the loop's block (nm's address of loop) first"""
        loop = self.symbol(self.a.loop, 'loop')
        for opt in ('inline=on', 'inline=off'):
            run = self.user_ok(self.a.loop, self.plugin('hotblocks', 'n=3', opt))
            m = re.search(r'^pc, executions, insns\n(0x[0-9a-f]+), (\d+), (\d+)$', run.err, re.M)
            check(m is not None, 'no hot block in the output (%s)' % opt, run)
            pc, execs, insns = (int(g, 0) for g in m.groups())
            check(pc == loop, '%s: first block at 0x%x, loop is at 0x%x' % (opt, pc, loop), run)
            # the set-up block runs the first iteration
            check(execs == self.n - 1 and insns == 6,
                  '%s: %d executions of %d insns, expected %d of 6'
                  % (opt, execs, insns, self.n - 1), run)

    def test_hotpages(self):
        """hotpages puts the loop's data page first, with its reads and writes"""
        page = self.symbol(self.a.loop, 'counters') & ~0xfff
        run = self.user_ok(self.a.loop, self.plugin('hotpages', 'n=2'))
        m = re.search(r'^page, reads, writes\n(0x[0-9a-f]+), (\d+), (\d+)$', run.err, re.M)
        check(m is not None, 'no page in the output', run)
        got = tuple(int(g, 0) for g in m.groups())
        check(got == (page, 2 * self.n, self.n),
              'first page %s, expected %s' % (got, (page, 2 * self.n, self.n)), run)

    @staticmethod
    def syscall_names(text):
        """The syscall names of -strace-style lines "N name(...", in order."""
        return re.findall(r'^\d+ (\w+)\(', text, re.M)

    def test_syscall_vs_strace(self):
        """the syscall plugin lists the same syscalls as -strace, in order"""
        for program in (self.a.loop, self.a.libc_program):
            strace = self.user_ok(program, extra=['-strace'])
            plugin = self.user_ok(program, self.plugin('syscall'))
            want = self.syscall_names(strace.err)
            got = self.syscall_names(plugin.err)
            check(len(want) >= 3, '-strace listed %d syscalls' % len(want), strace)
            check(got == want, '%s: plugin %s, -strace %s'
                  % (os.path.basename(program), got, want), plugin)
            check('syscall_' not in plugin.err, 'a syscall without a name', plugin)

    def test_syscall_filter(self):
        """syscall filter=write traces the two writes only, with their results"""
        run = self.user_ok(self.a.loop, self.plugin('syscall', 'filter=write'))
        lines = [l for l in run.err.splitlines() if re.match(r'^\d+ \w+\(', l)]
        check(len(lines) == 2 and lines[0].endswith(') = 12') and lines[1].endswith(') = 11'),
              'traced %s' % lines, run)

    def test_two_plugins(self):
        """two plugins at once (-plugin twice, then PROTEUS_PLUGIN): both count exactly"""
        specs = [self.plugin('insn'), self.plugin('mem', 'inline=on')]
        for how, run in (('-plugin', self.user_ok(self.a.loop, *specs)),
                         ('PROTEUS_PLUGIN', self.user_ok(
                             self.a.loop, env={'PROTEUS_PLUGIN': ';'.join(specs)}))):
            insns = number(run, r'^insns: (\d+)$', 'insns: N')
            loads = number(run, r'^loads: (\d+) stores', 'loads: N')
            check(insns == self.insns and loads == 2 * self.n,
                  '%s: insns %d loads %d, expected %d and %d'
                  % (how, insns, loads, self.insns, 2 * self.n), run)

    def test_bad_version(self):
        """a plugin of API version 42 is refused, naming both versions"""
        run = self.user(self.a.loop, self.a.bad_version)
        check(run.status == 1, 'exit status %d, expected 1' % run.status, run)
        lines = [l for l in run.err.splitlines() if re.search(r'\b42\b', l)]
        check(len(lines) == 1 and 'version' in lines[0]
              and re.search(r'\b1\b', lines[0].replace('42', '')),
              'no message naming both versions, 42 and 1', run)
        check('install was called' not in run.err, 'install was called', run)

    def test_bad_argument(self):
        """insn inline=maybe is refused, naming the option"""
        run = self.user(self.a.loop, self.plugin('insn', 'inline=maybe'))
        check(run.status == 1, 'exit status %d, expected 1' % run.status, run)
        check('inline=maybe' in run.err, 'the message does not name inline=maybe', run)
        check('loop: start' not in run.out, 'the guest ran', run)

    def test_unknown_option(self):
        """cache with an unknown option and with a non-power-of-two size is refused"""
        for opt, named in (('colour=blue', 'colour'), ('l1d_size=1000', 'l1d_size')):
            run = self.user(self.a.loop, self.plugin('cache', opt))
            check(run.status == 1, '%s: exit status %d, expected 1' % (opt, run.status), run)
            check(named in run.err, '%s: the message does not name %s' % (opt, named), run)

    def test_missing_plugin(self):
        """a missing plugin file is refused, naming the path"""
        path = os.path.join(self.tmp, 'no-such-plugin.so')
        run = self.user(self.a.loop, path)
        check(run.status == 1, 'exit status %d, expected 1' % run.status, run)
        check(path in run.err, 'the message does not name %s' % path, run)

    def test_drcov(self):
        """drcov writes a version 2 file whose blocks include the loop's"""
        out = os.path.join(self.tmp, 'loop.drcov')
        self.user_ok(self.a.loop, self.plugin('drcov', 'filename=' + out))
        with open(out, 'rb') as f:
            data = f.read()
        head, sep, table = data.partition(b'bbs\n')
        text = head.decode()
        lines = text.splitlines()
        check(sep == b'bbs\n' and lines[0] == 'DRCOV VERSION: 2'
              and lines[2] == 'Module Table: version 2, count 1'
              and lines[3] == 'Columns: id, base, end, entry, checksum, timestamp, path',
              'bad header: %r' % text)
        module = [f.strip() for f in lines[4].split(',')]
        check(os.path.realpath(module[6]) == os.path.realpath(self.a.loop),
              'module path %s' % module[6])
        base = int(module[1], 16)
        count = int(re.match(r'BB Table: (\d+) ', lines[5]).group(1))
        check(len(table) == 8 * count, '%d bytes for %d blocks' % (len(table), count))
        blocks = {struct.unpack_from('<IHH', table, 8 * i) for i in range(count)}
        loop = self.symbol(self.a.loop, 'loop') - base
        check((loop, 24, 0) in blocks,
              'no 24-byte block at offset 0x%x in %s' % (loop, sorted(blocks)))

    def test_cache(self):
        """cache: hits + misses = accesses = the mem and insn plugins' counts"""
        run = self.user_ok(self.a.loop, self.plugin('cache', 'repl=fifo'),
                           self.plugin('mem', 'inline=on'), self.plugin('insn'))
        levels = {}
        for name, acc, hits, misses in re.findall(
                r'^(L1I|L1D|L2), (\d+), (\d+), (\d+), [\d.]+%$', run.err, re.M):
            levels[name] = (int(acc), int(hits), int(misses))
        check(set(levels) == {'L1I', 'L1D', 'L2'}, 'levels %s' % sorted(levels), run)
        for name, (acc, hits, misses) in levels.items():
            check(hits + misses == acc, '%s: %d + %d != %d' % (name, hits, misses, acc), run)
        loads = number(run, r'^loads: (\d+) stores', 'loads')
        stores = number(run, r'^loads: \d+ stores: (\d+)', 'stores')
        check(levels['L1D'][0] == loads + stores == 3 * self.n,
              'L1D accesses %d, loads + stores %d' % (levels['L1D'][0], loads + stores), run)
        check(levels['L1I'][0] == number(run, r'^insns: (\d+)$', 'insns') == self.insns,
              'L1I accesses %d, insns %d' % (levels['L1I'][0], self.insns), run)
        check(levels['L2'][0] == levels['L1I'][2] + levels['L1D'][2],
              'L2 accesses %d != the L1 misses' % levels['L2'][0], run)
        # the loop touches one data line and two code lines: few misses
        check(levels['L1D'][2] <= 4, 'L1D misses %d' % levels['L1D'][2], run)

    def test_execlog(self):
        """execlog logs each instruction of a 3-iteration loop and t0's changes"""
        run = self.user_ok(self.a.short_loop, self.plugin('execlog', 'reg=t0'))
        lines = [l for l in run.err.splitlines() if re.match(r'^0, 0x[0-9a-f]+, ', l)]
        check(len(lines) == 19 + 6 * 3, '%d lines, expected %d' % (len(lines), 19 + 18), run)
        loop = self.symbol(self.a.short_loop, 'loop')
        at_loop = [l for l in lines if int(l.split(', ')[1], 16) == loop]
        check(len(at_loop) == 3 and all(', load 0x' in l for l in at_loop),
              'the loop start logged %d times, with its load' % len(at_loop), run)
        changes = re.findall(r', t0=(0x[0-9a-f]+)$', run.err, re.M)
        check(changes == ['0x3', '0x2', '0x1', '0x0'], 't0 changes %s' % changes, run)

    def system_count(self, inline):
        run = Run([self.a.system, '-M', 'virt', '-bios', 'none', '-nographic',
                   '-kernel', self.a.system_loop,
                   '-plugin', self.plugin('insn', 'classes=off', 'inline=' + inline)])
        check(run.status == 0, 'the run failed', run)
        want = 15 + 6 * self.n
        got = number(run, r'^insns: (\d+)$', 'insns: N')
        check(got == want, 'insns: %d, expected %d' % (got, want), run)

    def test_system_inline(self):
        """system mode, virt board: insn inline=on counts exactly"""
        self.system_count('on')

    def test_system_callbacks(self):
        """system mode, virt board: insn inline=off counts exactly"""
        self.system_count('off')


def run_all(tests):
    names = [n for n in dir(tests) if n.startswith('test_')]
    names.sort(key=lambda n: getattr(PluginTests, n).__code__.co_firstlineno)
    print('1..%d' % len(names), flush=True)
    failed = 0
    for i, name in enumerate(names, 1):
        method = getattr(tests, name)
        try:
            method()
            print('ok %d - %s' % (i, method.__doc__), flush=True)
        except (Failure, subprocess.SubprocessError, OSError) as e:
            failed += 1
            print('not ok %d - %s' % (i, method.__doc__))
            print('# ' + str(e))
            for line in getattr(e, 'details', []):
                print('# ' + line)
            sys.stdout.flush()
    return 1 if failed else 0


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        return run_all(PluginTests(args, tmp))


if __name__ == '__main__':
    sys.exit(main())
