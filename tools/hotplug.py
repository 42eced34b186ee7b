#!/usr/bin/env python3
"""Drive virtio-mem devices from the host during a boot (issue 9,
docs/hotplug.md "Driving it from the host").

Used by tools/qemu_run.py --hotplug SCHEDULE (run(..., hotplug=...)):

- a schedule, `T@vmemI=SIZE` and `T@kill` items separated by commas
  (T: seconds, a float, after the anchor; SIZE: bytes with a K/M/G suffix,
  or 0), e.g. "2@vmem0=1G,8@vmem0=0,8@vmem1=512M,12@kill";
- a QMP client (stdlib only) over QEMU's unix socket: each size action is
  `qom-set /machine/peripheral/vmemI requested-size`, then `qom-get` of
  `requested-size` and `size` (QEMU 10's name for the plugged size);
- a driver thread that waits for the anchor (the kernel's `serve_begin`
  record on the console, or QEMU's start) and runs the actions at their
  times; `kill` sends SIGKILL to QEMU;
- the matching of the host's actions with the kernel's `hotplug_event`
  records, and the table printed after the run.

`tools/hotplug.py --match CONSOLE.log ACTIONS.json` matches a saved console
output against a saved action log (qemu_run.py --hotplug-log) again.
"""
import argparse
import json
import re
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

ANCHORS = ('serve_begin', 'start')
SIZE_UNITS = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
QMP_TIMEOUT_S = 5.0
ANCHOR_TIMEOUT_S = 120.0
VMEM_PATH = '/machine/peripheral/vmem{}'   # qemu_run.vmem_args names them vmemI


class ScheduleError(ValueError):
    """A schedule that cannot be parsed; the message names the item."""


class QMPError(Exception):
    """QEMU answered a command with an error, or the QMP session failed."""


class QMPTimeout(QMPError):
    """No reply within the command's timeout."""


class QMPClosed(QMPError):
    """The socket closed or was never there: QEMU exited."""


@dataclass
class Action:
    t_s: float                 # seconds after the anchor
    op: str                    # 'size' or 'kill'
    device: int = -1           # vmem index (size actions)
    size: int = 0              # bytes (size actions)
    done: bool = False
    reason: str = ''           # why not done, or the QMP error
    t_set_s: float = None      # host time of the qom-set, s after the anchor
    t_reply_s: float = None    # host time of the last reply
    requested_size: int = None  # qom-get after the set
    plugged_size: int = None   # qom-get 'size' after the set
    event: dict = None         # the matched hotplug_event record

    def label(self):
        return 'kill' if self.op == 'kill' else f'vmem{self.device}={fmt_size(self.size)}'


@dataclass
class Schedule:
    actions: list
    anchor: str = 'serve_begin'


def fmt_size(n):
    for unit in ('G', 'M', 'K'):
        if n and n % SIZE_UNITS[unit] == 0:
            return f'{n // SIZE_UNITS[unit]}{unit}'
    return str(n)


def parse_size(text):
    """'512M', '1G', '1.5G', '0' -> bytes; anything else raises ValueError."""
    if text == '0':
        return 0
    m = re.fullmatch(r'(\d+(?:\.\d+)?)([KMG])', text)
    if not m:
        raise ValueError(f'size {text!r} is not a number with K, M or G (or 0)')
    n = float(m.group(1)) * SIZE_UNITS[m.group(2)]
    if n != int(n):
        raise ValueError(f'size {text!r} is not a whole number of bytes')
    return int(n)


def parse_item(item):
    t, at, what = item.partition('@')
    if not at:
        raise ScheduleError(f'hotplug item {item!r} is not T@vmemI=SIZE or T@kill')
    try:
        t_s = float(t)
    except ValueError:
        raise ScheduleError(f'hotplug item {item!r}: time {t!r} is not a number of seconds')
    if not 0 <= t_s < float('inf'):
        raise ScheduleError(f'hotplug item {item!r}: time must be finite and T >= 0')
    if what == 'kill':
        return Action(t_s, 'kill')
    m = re.fullmatch(r'vmem(\d+)=(.+)', what)
    if not m:
        raise ScheduleError(f'hotplug item {item!r}: {what!r} is not vmemI=SIZE or kill')
    try:
        return Action(t_s, 'size', int(m.group(1)), parse_size(m.group(2)))
    except ValueError as exc:
        raise ScheduleError(f'hotplug item {item!r}: {exc}')


def parse_schedule(text, anchor='serve_begin', devices=None):
    """'T@vmemI=SIZE,...,T@kill' -> Schedule, actions in time order (items
    at the same time keep their order).  devices: how many vmem devices
    the guest has (a higher index is an error)."""
    if anchor not in ANCHORS:
        raise ScheduleError(f'hotplug anchor {anchor!r} is not one of {", ".join(ANCHORS)}')
    actions = [parse_item(item.strip()) for item in text.split(',') if item.strip()]
    if not actions:
        raise ScheduleError('hotplug schedule is empty')
    if sum(a.op == 'kill' for a in actions) > 1:
        raise ScheduleError('hotplug schedule has more than one kill')
    seen = set()
    for a in actions:
        if a.op != 'size':
            continue
        if devices is not None and a.device >= devices:
            raise ScheduleError(f'hotplug item {a.t_s:g}@{a.label()}: the guest has '
                                f'{devices} virtio-mem device(s) (--vmem)')
        if (a.t_s, a.device) in seen:
            raise ScheduleError(f'hotplug schedule sets vmem{a.device} twice at {a.t_s:g} s')
        seen.add((a.t_s, a.device))
    return Schedule(sorted(actions, key=lambda a: a.t_s), anchor)


class QMPClient:
    """One QMP session on a unix socket (QEMU -qmp unix:PATH,server=on).
    Every call waits at most its timeout; errors are QMPError subclasses
    whose message names the command."""

    def __init__(self, path, timeout=QMP_TIMEOUT_S):
        self.path, self.timeout = path, timeout
        self.sock, self.buf, self.next_id = None, b'', 0

    def connect(self):
        """Connect (retrying while QEMU creates the socket, up to the
        timeout), read the greeting, negotiate capabilities."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(self.path)
                break
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                self.sock.close()
                if time.monotonic() >= deadline:
                    raise QMPClosed(f'QEMU exited or never opened its QMP socket {self.path}: {exc}')
                time.sleep(0.05)
        try:
            greeting = self._read_message('the QMP greeting', deadline)
            if 'QMP' not in greeting:
                raise QMPError(f'QMP greeting expected, got {greeting!r}')
            self.execute('qmp_capabilities')
        except QMPError:
            self.close()        # no half-open session for the next action
            raise

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def execute(self, command, timeout=None, **arguments):
        """Send one command, wait for its reply (events are skipped);
        return its 'return' value."""
        if self.sock is None:
            raise QMPClosed(f'QEMU exited: no QMP session for {command}')
        self.next_id += 1
        msg = {'execute': command, 'id': self.next_id}
        if arguments:
            msg['arguments'] = arguments
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            self.sock.sendall(json.dumps(msg).encode() + b'\n')
        except OSError as exc:
            raise QMPClosed(f'QEMU exited: QMP {command} not sent ({exc})')
        while True:
            reply = self._read_message(f'QMP {command}', deadline)
            if reply.get('id') != self.next_id:
                continue            # an event, or a stale reply
            if 'error' in reply:
                err = reply['error']
                raise QMPError(f'QMP {command}: {err.get("class")}: {err.get("desc")}')
            return reply.get('return')

    def _read_message(self, what, deadline):
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPTimeout(f'{what}: no reply within {self.timeout:g} s')
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as exc:
                raise QMPClosed(f'QEMU exited: QMP socket failed during {what} ({exc})')
            if not data:
                raise QMPClosed(f'QEMU exited: QMP socket closed during {what}')
            self.buf += data
        line, _, self.buf = self.buf.partition(b'\n')
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            raise QMPError(f'{what}: QEMU sent something that is not JSON: {line[:200]!r}')


def set_size(qmp, action, clock):
    """One size action: qom-set, then qom-get of requested-size and size.
    Returns the QMPError that stopped it, if any (also in action.reason)."""
    path = VMEM_PATH.format(action.device)
    action.t_set_s = clock()
    try:
        qmp.execute('qom-set', path=path, property='requested-size', value=action.size)
        action.done = True
        action.requested_size = qmp.execute('qom-get', path=path, property='requested-size')
        action.plugged_size = qmp.execute('qom-get', path=path, property='size')
    except QMPError as exc:
        action.reason = str(exc)
        return exc
    finally:
        action.t_reply_s = clock()
    return None


class Driver:
    """Runs a Schedule against one QEMU in a thread.  The output loop calls
    feed(text) with the console output (it looks for the anchor) and
    finish() when QEMU has exited; kill() is called by a kill action and
    must end QEMU (SIGKILL).  Nothing here waits longer than the QMP
    timeout per command, the anchor timeout, or the next action's time."""

    def __init__(self, schedule, sock_path, kill, qmp_timeout=QMP_TIMEOUT_S,
                 anchor_timeout=ANCHOR_TIMEOUT_S):
        self.schedule, self.kill = schedule, kill
        self.qmp = QMPClient(sock_path, qmp_timeout)
        self.anchor_timeout = anchor_timeout
        self.anchor = threading.Event()
        self.stop = threading.Event()
        self.t0 = None             # monotonic time the anchor was seen
        self.killed_at = None      # seconds after the anchor
        self.partial = ''
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        if self.schedule.anchor == 'start':
            self._anchor_seen()
        self.thread.start()

    def feed(self, text):
        """Console output as it arrives; the anchor is the first line with a
        serve_begin record."""
        if self.anchor.is_set():
            return
        self.partial += text
        lines = self.partial.split('\n')
        self.partial = lines.pop()
        if any('"kind":"serve_begin"' in line.replace(' ', '') for line in lines):
            self._anchor_seen()

    def _anchor_seen(self):
        if not self.stop.is_set():
            self.t0 = time.monotonic()
            self.anchor.set()

    def clock(self):
        return round(time.monotonic() - self.t0, 3)

    def _run(self):
        self.anchor.wait(self.anchor_timeout)      # finish() sets it too, to wake us
        if self.t0 is None:
            self._not_done(f'QEMU exited before {self.schedule.anchor} was seen' if self.stop.is_set()
                           else f'{self.schedule.anchor} not seen within {self.anchor_timeout:g} s')
            return
        try:
            self._actions()
        finally:
            self.qmp.close()

    def _actions(self):
        for a in self.schedule.actions:
            if self.stop.wait(max(0.0, self.t0 + a.t_s - time.monotonic())):
                self._not_done(f'QEMU exited before {a.t_s:g} s', a)
                return
            if a.op == 'kill':
                a.t_set_s = self.clock()
                self.killed_at = a.t_set_s
                self.kill()
                a.done = True
                self._not_done(f'QEMU killed by the schedule at {a.t_set_s:g} s')
                return
            err = self._connect(a) or set_size(self.qmp, a, self.clock)
            if isinstance(err, QMPClosed):     # QEMU is gone: no later action can run
                self._not_done(f'QEMU exited (QMP gone at {a.t_set_s:g} s)')
                return

    def _connect(self, action):
        """A QMP session for action, or the error (in action.reason)."""
        if self.qmp.sock is not None:
            return None
        try:
            self.qmp.connect()
        except QMPError as exc:
            action.t_set_s, action.reason = self.clock(), str(exc)
            return exc
        return None

    def _not_done(self, reason, first=None):
        """Every action not started yet (from first on) gets the reason."""
        for a in self.schedule.actions:
            if a is first:
                first = None
            if first is None and not a.done and a.t_set_s is None:
                a.reason = reason

    def finish(self, join_timeout=None):
        """QEMU has exited: stop the thread (it ends within one QMP timeout)
        and return the action log."""
        self.stop.set()
        self.anchor.set()
        self.thread.join(self.qmp.timeout * 3 + 1 if join_timeout is None else join_timeout)
        if self.thread.is_alive():
            self._not_done('the host driver did not stop in time')
        return self.schedule

    def log(self, records):
        return action_log(self.schedule, records, self.killed_at)


def match(actions, records):
    """Pair each size action that QEMU accepted with the kernel's first
    hotplug_event of that device whose requested_size equals the action's
    size and whose seq is after the device's previous match.  Per device:
    two devices set at the same moment may be served in either order.
    Returns the events nobody matched."""
    events = sorted((r for r in records if r.get('kind') == 'hotplug_event'),
                    key=lambda r: r.get('seq', 0))
    used, last_seq = set(), {}
    for a in actions:
        if a.op != 'size' or not a.done:
            continue
        for i, e in enumerate(events):
            if i not in used and e.get('device') == a.device and e.get('requested_size') == a.size \
                    and e.get('seq', 0) > last_seq.get(a.device, -1):
                a.event = e
                used.add(i)
                last_seq[a.device] = e.get('seq', 0)
                break
    return [e for i, e in enumerate(events) if i not in used]


def action_log(schedule, records, killed_at=None):
    """The JSON-able action log of a run: actions (with their matched
    events), the events no action matched, whether the anchor was seen."""
    unmatched = match(schedule.actions, records)
    begins = [r for r in records if r.get('kind') == 'serve_begin']
    return {'anchor': schedule.anchor,
            'anchor_seen': schedule.anchor == 'start' or bool(begins),
            'killed_at_s': killed_at,
            'serve_begin': begins[0] if begins else None,
            'actions': [asdict(a) for a in schedule.actions],
            'unmatched_events': unmatched}


def actions_from_log(log):
    return Schedule([Action(**a) for a in log['actions']], log.get('anchor', 'serve_begin'))


def ms(ns):
    return '-' if ns is None else f'{ns / 1e6:.1f}'


def event_row(e):
    cpus = ','.join(str(c) for c in e.get('cpus') or []) or '-'
    status = e.get('status', '?') + (f' ({e["reason"]})' if e.get('reason') else '')
    stall = e.get('max_stall_ns')
    return [f'{e.get("t_ms", "-")}', e.get('op', '?'), fmt_size(e.get('bytes', 0)), str(e.get('node', '?')),
            cpus, ms(e.get('init_ns')), ms(e.get('allocatable_ns')),
            '-' if stall is None else f'{stall / 1e3:.0f}', status]


def qemu_sizes(act):
    """What QEMU said after the set: requested-size/size (plugged)."""
    if act.requested_size is None:
        return '-'
    plugged = '?' if act.plugged_size is None else fmt_size(act.plugged_size)
    return f'{fmt_size(act.requested_size)}/{plugged}'


HEADER = ['action', 'host s', 'QEMU req/plug', 'kernel ms', 'op', 'bytes', 'node', 'CPUs', 'init ms',
          'alloc ms', 'stall us', 'status']


def table(log):
    """The matched table: one row per action, then one per unmatched event."""
    rows = []
    for a in log['actions']:
        act = Action(**a)
        host = ['-' if act.t_set_s is None else f'{act.t_set_s:.3f}', qemu_sizes(act)]
        if act.event:
            rows.append([act.label(), *host, *event_row(act.event)])
        elif act.op == 'kill':
            rows.append([act.label(), *host] + ['-'] * 8 + ['SIGKILL' if act.done else act.reason])
        else:
            why = act.reason or ('no hotplug_event' if act.done else 'not done')
            rows.append([act.label(), *host] + ['-'] * 8 + [f'unmatched: {why}'])
    for e in log['unmatched_events']:
        rows.append([f'(event {e.get("seq")} vmem{e.get("device")})', '-', '-', *event_row(e)])
    widths = [max(len(str(r[i])) for r in rows + [HEADER]) for i in range(len(HEADER))]
    fmt = lambda r: '  '.join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    head = f'hotplug: anchor {log["anchor"]}' + ('' if log['anchor_seen'] else ' (never seen)')
    return '\n'.join([head, fmt(HEADER)] + [fmt(r) for r in rows])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--match', nargs=2, metavar=('CONSOLE', 'ACTIONS'), required=True,
                   help='saved console output and action log (qemu_run.py --hotplug-log)')
    a = p.parse_args(argv)
    sys.path.insert(0, __file__.rsplit('/', 1)[0])
    from qemu_run import parse_records
    try:
        with open(a.match[0], errors='replace') as f:
            records = parse_records(f.read())
        with open(a.match[1]) as f:
            old = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        print(f'hotplug: {exc}', file=sys.stderr)
        return 2
    schedule = actions_from_log(old)
    for act in schedule.actions:
        act.event = None
    print(table(action_log(schedule, records, old.get('killed_at_s'))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
