#!/usr/bin/env python3
"""The gdbstubs of both emulators at the packet level, as TAP.

    test-gdb-protocol.py --user EMU --user-prog PROG --user-block-prog PROG
                         --system EMU --system-prog PROG

For each emulator (the stub on a TCP port for proteus-user, on a Unix
socket for the system emulator): framing and acks, a NAK for a bad
checksum, the target description, an error reply for unmapped memory,
continue then Ctrl-C (stop reply with SIGINT), registers after it, and k.
PROG loops forever, so only Ctrl-C stops it. The user-mode block program
waits in a system call forever: Ctrl-C must stop it too, twice, with no
stray stop in between. Then the command-line errors: a bad -gdb/-g spec
and a port in use each give one message and status 1.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 20


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = False

    def check(self, ok, what, detail=""):
        self.n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, what))
        if not ok:
            self.failed = True
            for line in str(detail).splitlines():
                print("# " + line)


def frame(data):
    return b"$%s#%02x" % (data, sum(data) & 0xff)


class Conn:
    """A gdb connection: sends packets, reads replies."""

    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(TIMEOUT)
        self.buf = b""

    def read_until(self, pred):
        while True:
            got = pred(self.buf)
            if got is not None:
                return got
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; had %r" % self.buf)
            self.buf += chunk

    def take_byte(self):
        def pred(buf):
            return buf[:1] if buf else None
        b = self.read_until(pred)
        self.buf = self.buf[1:]
        return b

    def take_packet(self):
        """The next "$...#xx" (checksum checked); skips '+' acks."""
        def pred(buf):
            m = re.match(rb"\+*\$([^#]*)#([0-9a-f]{2})", buf, re.S)
            return m
        m = self.read_until(pred)
        self.buf = self.buf[m.end():]
        data = m.group(1)
        if int(m.group(2), 16) != sum(data) & 0xff:
            raise ValueError("bad checksum in %r" % m.group(0))
        return data

    def send_raw(self, raw):
        self.sock.sendall(raw)

    def request(self, data):
        self.send_raw(frame(data))
        return self.take_packet()


def connect_tcp(port):
    deadline = time.time() + TIMEOUT
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def connect_unix(path):
    deadline = time.time() + TIMEOUT
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session(tap, name, conn, feature):
    """The packet-level checks on one stopped-at-start target."""
    c = conn
    c.send_raw(frame(b"qSupported:swbreak+;hwbreak+"))
    ack = c.take_byte()
    reply = c.take_packet()
    tap.check(ack == b"+" and b"PacketSize=4000" in reply and b"qXfer:features:read+" in reply,
              "%s: qSupported is acked and answered" % name, (ack, reply))
    stop = c.request(b"?")
    m = re.match(rb"T05thread:([0-9a-f]+);$", stop)
    tap.check(m is not None, "%s: ? gives a T05 stop reply with the thread" % name, stop)
    c.send_raw(b"$?#00")
    tap.check(c.take_byte() == b"-", "%s: a bad checksum is NAKed" % name)
    xml = c.request(b"qXfer:features:read:target.xml:0,3fff")
    tap.check(xml.startswith(b"l") and b"org.gnu.gdb.riscv.cpu" in xml and feature in xml,
              "%s: the target description has the cpu and %s features" % (name, feature.decode()),
              xml[:200])
    tap.check(c.request(b"m0,4") == b"E14", "%s: unmapped memory is E14" % name)
    tap.check(c.request(b"mzz") == b"E01", "%s: a malformed m packet is E01" % name)
    c.send_raw(frame(b"vCont;c"))
    tap.check(c.take_byte() == b"+", "%s: vCont;c is acked" % name)
    time.sleep(0.3)
    c.send_raw(b"\x03")
    stop = c.take_packet()
    tap.check(re.match(rb"T02thread:[0-9a-f]+;$", stop) is not None,
              "%s: Ctrl-C stops the guest with SIGINT" % name, stop)
    pc = c.request(b"p20")
    ok = re.match(rb"[0-9a-f]{16}$", pc) is not None
    tap.check(ok, "%s: the pc reads as 8 bytes after the stop" % name, pc)
    regs = c.request(b"g")
    tap.check(len(regs) == 33 * 16 and regs[:16] == b"0" * 16 and regs[-16:] == pc,
              "%s: g gives x0-x31 and pc" % name, regs)
    c.send_raw(frame(b"k"))


def run_user(tap, emu, prog):
    port = free_port()
    proc = subprocess.Popen([emu, "-g", str(port), prog], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with connect_tcp(port) as s:
        session(tap, "user", Conn(s), b"org.gnu.gdb.riscv.fpu")
    try:
        proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    tap.check(proc.returncode == -9, "user: k ends the program (SIGKILL)", proc.returncode)


def nothing_pending(conn, seconds):
    """Whether the stub sends nothing for that long."""
    conn.sock.settimeout(seconds)
    try:
        data = conn.sock.recv(1, socket.MSG_PEEK)
    except socket.timeout:
        return True
    finally:
        conn.sock.settimeout(TIMEOUT)
    return not data and not conn.buf


def run_user_blocked(tap, emu, prog):
    port = free_port()
    proc = subprocess.Popen([emu, "-g", str(port), prog], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with connect_tcp(port) as s:
        c = Conn(s)
        c.request(b"QStartNoAckMode")
        for n in (1, 2):
            c.send_raw(frame(b"vCont;c"))
            quiet = nothing_pending(c, 0.3)
            c.send_raw(b"\x03")
            stop = c.take_packet()
            tap.check(quiet and re.match(rb"T02thread:[0-9a-f]+;$", stop) is not None,
                      "user: Ctrl-C stops a thread waiting in a system call (%d)" % n,
                      (quiet, stop))
        c.send_raw(frame(b"k"))
    try:
        proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    tap.check(proc.returncode == -9, "user: k ends the waiting program", proc.returncode)


def run_system(tap, emu, prog):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gdb.sock")
        proc = subprocess.Popen([emu, "-M", "virt", "-bios", "none", "-kernel", prog,
                                 "-display", "none", "-serial", "null", "-S",
                                 "-gdb", "unix:" + path],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        with connect_unix(path) as s:
            session(tap, "system", Conn(s), b"org.gnu.gdb.riscv.csr")
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        tap.check(proc.returncode == 0, "system: k ends the emulator", proc.returncode)


def check_error(tap, what, cmd, pattern):
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=TIMEOUT)
    lines = r.stderr.splitlines()
    ok = r.returncode == 1 and len(lines) == 1 and re.search(pattern, lines[0])
    tap.check(bool(ok), what, "status %d, stderr %r" % (r.returncode, r.stderr))


def run_errors(tap, args):
    system = [args.system, "-M", "virt", "-display", "none", "-serial", "null"]
    check_error(tap, "-gdb with a bad spec", system + ["-gdb", "bogus"],
                r"-gdb bogus: expected tcp:\[HOST\]:PORT, unix:PATH or a port number$")
    check_error(tap, "-g with a bad port", [args.user, "-g", "99999", args.user_prog],
                r"-g 99999: expected a TCP port")
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        check_error(tap, "-gdb on a port in use", system + ["-gdb", "tcp::%d" % port],
                    r"-gdb tcp::%d: .*Address already in use$" % port)
        check_error(tap, "-g on a port in use", [args.user, "-g", str(port), args.user_prog],
                    r"-g %d: .*Address already in use$" % port)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--user", required=True)
    p.add_argument("--user-prog", required=True)
    p.add_argument("--user-block-prog", required=True)
    p.add_argument("--system", required=True)
    p.add_argument("--system-prog", required=True)
    args = p.parse_args()

    tap = Tap()
    for run in (lambda: run_user(tap, args.user, args.user_prog),
                lambda: run_user_blocked(tap, args.user, args.user_block_prog),
                lambda: run_system(tap, args.system, args.system_prog),
                lambda: run_errors(tap, args)):
        try:
            run()
        except (OSError, EOFError, ValueError, subprocess.TimeoutExpired) as e:
            tap.check(False, "no exception", repr(e))
    print("1..%d" % tap.n)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
