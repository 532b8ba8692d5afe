"""What the Python test scripts share: TAP output and free ports.

A script puts tests/ on its path and imports this:

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
    import tap
"""
import socket
import sys

results = []


def point(ok, what, detail=''):
    """One TAP test point; on failure, the last lines of detail as comments."""
    results.append(ok)
    print('%s %d - %s' % ('ok' if ok else 'not ok', len(results), what))
    if not ok and detail:
        for line in str(detail).splitlines()[-25:]:
            print('# ' + line)
    sys.stdout.flush()


def skip(what, reason):
    """A test point that could not run here, and why."""
    results.append(True)
    print('ok %d - %s # SKIP %s' % (len(results), what, reason))
    sys.stdout.flush()


def all_passed():
    return all(results)


def plan():
    """The plan line at the end; the exit status for the results."""
    print('1..%d' % len(results))
    return 0 if all(results) else 1


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
