#!/usr/bin/env python3
#
# QMP and HMP with clients that know nothing of proteus: a plain Python
# socket client speaking QMP as QEMU documents it, over -qmp unix:... and
# -qmp tcp:..., and socat (a stock tool; scripts/install-deps.sh installs
# it) holding raw conversations with QMP and with the human monitor.
# The riscv64 virt machine runs with no firmware. TAP output, one test
# point per step.
#
#   qmp-client.py PROTEUS_SYSTEM_RISCV64

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import tap  # noqa: E402

TIMEOUT = 10


def connect(family, address):
    """Connects to the emulator's server socket, retrying while it starts."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.connect(address)
            s.settimeout(TIMEOUT)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class QmpClient:
    """QMP as a client sees it: JSON objects, one a line; events interleave."""

    def __init__(self, sock):
        self.sock = sock
        self.reader = sock.makefile('r', encoding='utf-8', newline='\n')
        self.events = []

    def receive(self):
        line = self.reader.readline()
        if not line:
            raise EOFError('the emulator closed the connection')
        return json.loads(line)

    def command(self, name, arguments=None):
        request = {'execute': name}
        if arguments is not None:
            request['arguments'] = arguments
        self.sock.sendall((json.dumps(request) + '\n').encode())
        while True:
            msg = self.receive()
            if 'event' in msg:
                self.events.append(msg)
            else:
                return msg

    def expect_event(self, name):
        while True:
            for i, ev in enumerate(self.events):
                if ev['event'] == name:
                    del self.events[:i + 1]
                    return ev
            self.events.append(self.receive())

    def close(self):
        self.reader.close()
        self.sock.close()


def step(what, fn):
    """Runs fn; a test point for whether it returned True without raising."""
    try:
        ok = fn()
        tap.point(bool(ok), what, '' if ok else 'returned %r' % (ok,))
    except Exception as e:  # a failed step must not hide the later ones
        tap.point(False, what, '%s: %s' % (type(e).__name__, e))


def python_client_steps(qmp_path, qmp_port):
    clients = {}

    def greet_unix():
        c = QmpClient(connect(socket.AF_UNIX, qmp_path))
        clients['unix'] = c
        greeting = c.receive()
        return 'QMP' in greeting and 'version' in greeting['QMP'] and \
            c.command('qmp_capabilities') == {'return': {}}

    def greet_tcp():
        c = QmpClient(connect(socket.AF_INET, ('127.0.0.1', qmp_port)))
        clients['tcp'] = c
        return 'QMP' in c.receive() and c.command('qmp_capabilities') == {'return': {}}

    def status():
        r = clients['unix'].command('query-status')['return']
        return r['running'] is True and r['status'] == 'running'

    def stop_cont():
        a, b = clients['unix'], clients['tcp']
        if a.command('stop') != {'return': {}}:
            return False
        stop_a, stop_b = a.expect_event('STOP'), b.expect_event('STOP')
        paused = b.command('query-status')['return']['status'] == 'paused'
        resumed = b.command('cont') == {'return': {}} and a.expect_event('RESUME')
        return paused and resumed and 'seconds' in stop_a['timestamp'] and \
            stop_b['event'] == 'STOP'

    def reset():
        ev = (clients['tcp'].command('system_reset'),
              clients['unix'].expect_event('RESET'))[1]
        return ev['data'] == {'guest': False, 'reason': 'host-qmp-system-reset'}

    def human():
        r = clients['unix'].command('human-monitor-command',
                                    {'command-line': 'info status'})
        return r == {'return': 'VM status: running\r\n'}

    def commands():
        names = {c['name'] for c in clients['tcp'].command('query-commands')['return']}
        return {'query-machines', 'query-cpus-fast', 'system_powerdown',
                'human-monitor-command', 'qom-get'} <= names

    def bad():
        r = clients['unix'].command('no-such-command')
        return r['error']['class'] == 'CommandNotFound'

    step('python client: greeting and negotiation over -qmp unix', greet_unix)
    step('python client: greeting and negotiation over -qmp tcp', greet_tcp)
    step('python client: query-status', status)
    step('python client: stop and cont, STOP/RESUME on both clients', stop_cont)
    step('python client: system_reset brings RESET with its reason', reset)
    step('python client: human-monitor-command', human)
    step('python client: query-commands', commands)
    step('python client: unknown command is CommandNotFound', bad)
    return clients


def socat(address, text):
    """Sends text through socat and returns all that came back."""
    proc = subprocess.run(['socat', '-t', '2', '-', address], input=text.encode(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=TIMEOUT)
    return proc.stdout.decode()


def socat_steps(qmp_port, hmp_path):
    def qmp_conversation():
        out = socat('TCP:127.0.0.1:%d' % qmp_port,
                    '{"execute": "qmp_capabilities"}\n{"execute": "query-status"}\n')
        msgs = [json.loads(line) for line in out.splitlines() if line.strip()]
        return len(msgs) == 3 and 'QMP' in msgs[0] and msgs[1] == {'return': {}} and \
            msgs[2]['return']['status'] == 'running'

    def hmp_conversation():
        out = socat('UNIX-CONNECT:' + hmp_path, 'info status\r')
        return 'monitor - type \'help\' for more information' in out and \
            '(proteus) info status\r\nVM status: running\r\n(proteus) ' in out

    if not shutil.which('socat'):
        tap.point(False, 'socat is installed (scripts/install-deps.sh)')
        return
    step('socat: raw QMP conversation over tcp', qmp_conversation)
    step('socat: raw HMP conversation over unix', hmp_conversation)


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: qmp-client.py PROTEUS_SYSTEM_RISCV64')
    print('1..12')
    with tempfile.TemporaryDirectory() as tmp:
        qmp_path = os.path.join(tmp, 'qmp.sock')
        qmp_tcp = tap.free_port()
        qmp_tcp2 = tap.free_port()
        hmp_path = os.path.join(tmp, 'hmp.sock')
        argv = [sys.argv[1], '-M', 'virt', '-bios', 'none', '-display', 'none',
                '-nodefaults',
                '-qmp', 'unix:%s,server=on,wait=off' % qmp_path,
                '-qmp', 'tcp:127.0.0.1:%d,server=on,wait=off' % qmp_tcp,
                '-qmp', 'tcp:127.0.0.1:%d,server=on,wait=off' % qmp_tcp2,
                '-monitor', 'unix:%s,server=on,wait=off' % hmp_path]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            clients = python_client_steps(qmp_path, qmp_tcp)
            socat_steps(qmp_tcp2, hmp_path)

            def quit():
                c = clients['unix']
                ok = c.command('quit') == {'return': {}}
                ev = c.expect_event('SHUTDOWN')
                return ok and ev['data'] == {'guest': False, 'reason': 'host-qmp-quit'}

            step('python client: quit brings SHUTDOWN', quit)
            try:
                status = proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                status = None
            tap.point(status == 0, 'the emulator exits with status 0',
                  'status %r; stderr: %s' % (status, proc.stderr.read().decode()
                                             if status is not None else ''))
            for c in clients.values():
                c.close()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    sys.exit(0 if tap.all_passed() and len(tap.results) == 12 else 1)


if __name__ == '__main__':
    main()
