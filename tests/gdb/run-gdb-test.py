#!/usr/bin/env python3
"""Debugs a riscv64 program under proteus with gdb-multiarch, as TAP.

    run-gdb-test.py --mode user|system --gdb GDB --emulator EMU
                    --program PROG --script SCRIPT --exit N

Starts the emulator with its gdbstub on a free TCP port (user mode:
``-g PORT PROG``; system mode: the virt board with ``-bios none -kernel
PROG -S -gdb tcp::PORT``), runs ``GDB -batch -nx`` with PROG's symbols,
connects and runs SCRIPT. Each ``# EXPECT: REGEX`` line of SCRIPT is one
test point: the regular expressions must match lines of gdb's output in
the order given. A last test point checks the emulator's exit status.
"""
import argparse
import re
import socket
import subprocess
import sys

GDB_TIMEOUT = 90


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expectations(script):
    with open(script, encoding="utf-8") as f:
        return [line.split("# EXPECT: ", 1)[1].rstrip("\n")
                for line in f if line.startswith("# EXPECT: ")]


def emulator_command(args, port):
    if args.mode == "user":
        return [args.emulator, "-g", str(port), args.program]
    return [args.emulator, "-M", "virt", "-bios", "none", "-kernel", args.program,
            "-display", "none", "-serial", "null", "-S", "-gdb", "tcp::%d" % port]


def run(args):
    """Returns gdb's output lines, gdb's and the emulator's output, and
    the emulator's exit status (None if it had to be killed)."""
    port = free_port()
    emu = subprocess.Popen(emulator_command(args, port), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    gdb_cmd = [args.gdb, "-batch", "-nx",
               "-ex", "set tcp connect-timeout 30",
               "-ex", "file " + args.program,
               "-ex", "target remote 127.0.0.1:%d" % port,
               "-x", args.script]
    try:
        gdb = subprocess.run(gdb_cmd, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=GDB_TIMEOUT)
        gdb_out, gdb_err = gdb.stdout, gdb.stderr
    except subprocess.TimeoutExpired as e:
        gdb_out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        gdb_err = "gdb timed out"
    try:
        emu_out, _ = emu.communicate(timeout=20)
        status = emu.returncode
    except subprocess.TimeoutExpired:
        emu.kill()
        emu_out, _ = emu.communicate()
        status = None
    return gdb_out, gdb_err, emu_out, status


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["user", "system"], required=True)
    p.add_argument("--gdb", required=True)
    p.add_argument("--emulator", required=True)
    p.add_argument("--program", required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--exit", type=int, default=0)
    args = p.parse_args()

    wanted = expectations(args.script)
    gdb_out, gdb_err, emu_out, status = run(args)
    lines = gdb_out.splitlines()

    print("1..%d" % (len(wanted) + 1))
    failed = False
    pos = 0
    for n, regex in enumerate(wanted, 1):
        found = next((i for i in range(pos, len(lines)) if re.search(regex, lines[i])), None)
        if found is None:
            print("not ok %d - gdb printed a line matching %s" % (n, regex))
            failed = True
        else:
            print("ok %d - %s" % (n, lines[found]))
            pos = found + 1
    n = len(wanted) + 1
    if status == args.exit:
        print("ok %d - the emulator exited with status %d" % (n, status))
    else:
        print("not ok %d - the emulator exited with status %s, not %d" % (n, status, args.exit))
        failed = True
    if failed:
        for title, text in (("gdb output", gdb_out), ("gdb errors", gdb_err),
                            ("emulator output", emu_out)):
            print("# --- %s ---" % title)
            for line in text.splitlines():
                print("# " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
