"""tools/hotplug.py without QEMU: schedule parsing and its errors, matching
the host's actions with synthetic hotplug_event records, the QMP client and
the driver thread against a fake QMP server on a unix socket."""
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import hotplug  # noqa: E402
from hotplug import Action, QMPClient, QMPClosed, QMPError, QMPTimeout, ScheduleError  # noqa: E402

G, M = 1 << 30, 1 << 20


# --- schedule -------------------------------------------------------------

def test_schedule_parsed_in_time_order():
    s = hotplug.parse_schedule('8@vmem0=0, 2@vmem0=1G,8@vmem1=512M,9.5@kill,0@vmem1=1.5G', devices=2)
    assert s.anchor == 'serve_begin'
    got = [(a.t_s, a.op, a.device, a.size) for a in s.actions]
    assert got == [(0.0, 'size', 1, 3 * G // 2), (2.0, 'size', 0, G), (8.0, 'size', 0, 0),
                   (8.0, 'size', 1, 512 * M), (9.5, 'kill', -1, 0)]
    assert hotplug.parse_schedule('1@vmem0=64K', anchor='start').anchor == 'start'


@pytest.mark.parametrize('text,msg', [
    ('', 'empty'),
    ('x@vmem0=1G', "time 'x' is not a number"),
    ('-1@vmem0=1G', 'T >= 0'),
    ('nan@vmem0=1G', 'T >= 0'),
    ('1vmem0=1G', 'is not T@vmemI=SIZE'),
    ('1@vm0=1G', "'vm0=1G' is not vmemI=SIZE or kill"),
    ('1@vmem0=1X', "size '1X' is not a number with K, M or G"),
    ('1@vmem0=1024', "size '1024' is not a number"),
    ('1@vmem0=0.3K', 'not a whole number of bytes'),
    ('1@vmem0=1G,1@vmem0=0', 'sets vmem0 twice at 1 s'),
    ('1@kill,2@kill', 'more than one kill'),
    ('1@vmem2=1G', 'the guest has 2 virtio-mem device(s)'),
])
def test_schedule_errors_name_the_item(text, msg):
    with pytest.raises(ScheduleError, match='.*' + msg.replace('(', r'\(').replace(')', r'\)')):
        hotplug.parse_schedule(text, devices=2)


def test_schedule_unknown_anchor():
    with pytest.raises(ScheduleError, match="anchor 'boot' is not one of serve_begin, start"):
        hotplug.parse_schedule('1@vmem0=1G', anchor='boot')


# --- matching -------------------------------------------------------------

def done(t, device, size):
    return Action(t, 'size', device, size, done=True, t_set_s=t)


def event(seq, device, requested, op='plug', nbytes=None, **kw):
    rec = {'schema': 'numaboot/1', 'kind': 'hotplug_event', 'seq': seq, 'device': device,
           'pci': f'0000:00:0{3 + device}.0', 'node': device, 'op': op, 't_ms': 100 * seq,
           'requested_size': requested, 'bytes': requested if nbytes is None else nbytes,
           'status': 'ok', 'reason': None, 'cpus': [0, 1], 'init_ns': 2500000,
           'allocatable_ns': 2600000, 'max_stall_ns': 41000, 'plugged_size': requested}
    rec.update(kw)
    return rec


def test_match_in_order():
    acts = [done(1, 0, G), done(2, 0, 0), done(3, 0, G)]
    evs = [event(0, 0, G), event(1, 0, 0, 'unplug', G), event(2, 0, G)]
    assert hotplug.match(acts, evs + [{'kind': 'serve_end'}]) == []
    assert [a.event['seq'] for a in acts] == [0, 1, 2]


def test_match_missing_event():
    """The host set 1G, then 0 before the kernel looked (the size it already
    had): no event for either; the later 512M is matched."""
    acts = [done(1, 0, G), done(1.01, 0, 0), done(5, 0, 512 * M)]
    assert hotplug.match(acts, [event(0, 0, 512 * M)]) == []
    assert acts[0].event is None and acts[1].event is None and acts[2].event['seq'] == 0


def test_match_extra_event_listed():
    acts = [done(1, 0, G)]
    extra = event(1, 0, 256 * M, status='failed', reason='virtqueue timeout')
    assert hotplug.match(acts, [event(0, 0, G), extra]) == [extra]


def test_match_seq_after_previous_match():
    """An event before the device's previous match is not taken."""
    acts = [done(1, 0, 0), done(2, 0, G)]
    early = event(0, 0, G)
    assert hotplug.match(acts, [early, event(1, 0, 0, 'unplug')]) == [early]
    assert acts[1].event is None


def test_match_two_devices_same_moment_either_order():
    acts = [done(8, 0, G), done(8, 1, 512 * M)]
    evs = [event(4, 1, 512 * M), event(5, 0, G)]     # vmem1 served first
    assert hotplug.match(acts, evs) == []
    assert acts[0].event['seq'] == 5 and acts[1].event['seq'] == 4


def test_match_skips_refused_action():
    """A size QEMU refused (qom-set error) is not matched to anything."""
    acts = [Action(1, 'size', 0, 3 * G, reason='QMP qom-set: GenericError: too big', t_set_s=1)]
    ev = event(0, 0, 3 * G)
    assert hotplug.match(acts, [ev]) == [ev] and acts[0].event is None


def test_table_rows():
    sched = hotplug.Schedule([done(2, 0, G), done(3, 1, 0), Action(9, 'kill', done=True, t_set_s=9.001)])
    sched.actions[0].requested_size, sched.actions[0].plugged_size = G, 0
    log = hotplug.action_log(sched, [{'kind': 'serve_begin'}, event(0, 0, G), event(1, 1, M)], 9.001)
    out = hotplug.table(log).splitlines()
    assert out[0] == 'hotplug: anchor serve_begin'
    cols = out[2].split()
    assert cols == ['vmem0=1G', '2.000', '1G/0', '0', 'plug', '1G', '0', '0,1', '2.5', '2.6', '41', 'ok']
    assert out[3].startswith('vmem1=0') and out[3].endswith('unmatched: no hotplug_event')
    assert out[4].startswith('kill') and out[4].endswith('SIGKILL')
    assert out[5].startswith('(event 1 vmem1)') and out[5].split()[-1] == 'ok'


def test_match_cli(tmp_path, capsys):
    sched = hotplug.Schedule([done(2, 0, G)])
    log = hotplug.action_log(sched, [])
    (tmp_path / 'a.json').write_text(json.dumps(log))
    (tmp_path / 'c.log').write_text('noise\n\x1b[0m' + json.dumps(event(0, 0, G), separators=(',', ':')) + '\n')
    assert hotplug.main(['--match', str(tmp_path / 'c.log'), str(tmp_path / 'a.json')]) == 0
    row = capsys.readouterr().out.splitlines()[2].split()
    assert row[:5] == ['vmem0=1G', '2.000', '-', '0', 'plug']
    assert hotplug.main(['--match', str(tmp_path / 'none.log'), str(tmp_path / 'a.json')]) == 2


# --- QMP against a fake server -------------------------------------------

class FakeQMP:
    """Greets, accepts qmp_capabilities, then per mode: 'ok' answers qom-set
    and qom-get (an event before each reply), 'error' refuses qom-set,
    'silent' never answers, 'close' hangs up on the first command."""

    def __init__(self, path, mode='ok'):
        self.mode, self.props, self.commands = mode, {'requested-size': 0, 'size': 0}, []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.conn = None
        threading.Thread(target=self.serve, daemon=True).start()

    def send(self, obj):
        self.conn.sendall(json.dumps(obj).encode() + b'\r\n')

    def serve(self):
        try:
            self.conn, _ = self.srv.accept()
            self.send({'QMP': {'version': {'qemu': {'major': 10}}, 'capabilities': ['oob']}})
            for line in self.conn.makefile('rb'):
                msg = json.loads(line)
                self.commands.append(msg)
                if not self.answer(msg):
                    return
        except OSError:     # close() while waiting: the test is over
            pass

    def answer(self, msg):
        cmd, args, mid = msg['execute'], msg.get('arguments', {}), msg.get('id')
        if cmd == 'qmp_capabilities':
            self.send({'return': {}, 'id': mid})
        elif self.mode == 'close':
            self.conn.shutdown(socket.SHUT_RDWR)
            self.conn.close()
            return False
        elif self.mode == 'silent':
            pass
        elif self.mode == 'error' and cmd == 'qom-set':
            self.send({'error': {'class': 'GenericError', 'desc': "'requested-size' cannot exceed"}, 'id': mid})
        else:
            self.send({'event': 'MEMORY_DEVICE_SIZE_CHANGE', 'data': {}})
            if cmd == 'qom-set':
                self.props[args['property']] = args['value']
                self.send({'return': {}, 'id': mid})
            else:
                self.send({'return': self.props[args['property']], 'id': mid})
        return True

    def close(self):
        self.srv.close()
        if self.conn:
            self.conn.close()


@pytest.fixture
def sockdir():
    d = tempfile.mkdtemp(prefix='hp')     # short: unix socket paths are limited to 108 bytes
    yield d
    shutil.rmtree(d)


@pytest.fixture
def fake(sockdir):
    servers = []

    def start(mode='ok'):
        servers.append(FakeQMP(os.path.join(sockdir, 'q.sock'), mode))
        return os.path.join(sockdir, 'q.sock'), servers[-1]
    yield start
    for s in servers:
        s.close()


def test_qmp_set_and_get(fake):
    path, srv = fake('ok')
    q = QMPClient(path, timeout=2)
    q.connect()
    a = Action(0, 'size', 0, G)
    hotplug.set_size(q, a, lambda: 1.5)
    q.close()
    assert a.done and a.reason == '' and a.requested_size == G and a.plugged_size == 0
    assert [c['execute'] for c in srv.commands] == ['qmp_capabilities', 'qom-set', 'qom-get', 'qom-get']
    assert srv.commands[1]['arguments'] == {'path': '/machine/peripheral/vmem0',
                                            'property': 'requested-size', 'value': G}
    assert [c['arguments']['property'] for c in srv.commands[2:]] == ['requested-size', 'size']


def test_qmp_error_reply(fake):
    path, _ = fake('error')
    q = QMPClient(path, timeout=2)
    q.connect()
    with pytest.raises(QMPError, match="QMP qom-set: GenericError: 'requested-size' cannot exceed"):
        q.execute('qom-set', path='/machine/peripheral/vmem0', property='requested-size', value=3 * G)
    a = Action(0, 'size', 0, 3 * G)
    hotplug.set_size(q, a, lambda: 0.0)
    assert not a.done and 'GenericError' in a.reason and a.requested_size is None


def test_qmp_timeout_names_command(fake):
    path, _ = fake('silent')
    q = QMPClient(path, timeout=0.3)
    q.connect()
    t = time.monotonic()
    with pytest.raises(QMPTimeout, match=r'^QMP qom-get: no reply within 0.3 s$'):
        q.execute('qom-get', path='/machine/peripheral/vmem0', property='size')
    assert time.monotonic() - t < 2


def test_qmp_closed_is_qemu_exited(fake):
    path, _ = fake('close')
    q = QMPClient(path, timeout=2)
    q.connect()
    with pytest.raises(QMPClosed, match='^QEMU exited: QMP socket closed during QMP qom-set'):
        q.execute('qom-set', path='/machine/peripheral/vmem0', property='requested-size', value=0)


def test_qmp_no_socket_is_qemu_exited(sockdir):
    q = QMPClient(os.path.join(sockdir, 'gone.sock'), timeout=0.2)
    with pytest.raises(QMPClosed, match='^QEMU exited or never opened its QMP socket'):
        q.connect()


# --- the driver thread ----------------------------------------------------

def serve_begin_line():
    return '\x1b[0m{"schema":"numaboot/1","kind":"serve_begin","serve_s":5,"devices":[]}\n'


def test_driver_runs_after_anchor_and_kills(fake):
    path, srv = fake('ok')
    kills = []
    sched = hotplug.parse_schedule('0.05@vmem0=1G,0.1@kill,5@vmem0=0')
    d = hotplug.Driver(sched, path, lambda: kills.append(time.monotonic()), qmp_timeout=2, anchor_timeout=5)
    d.start()
    d.feed('booting\n{"schema":"numaboot/1","kind":"serve_be')   # a partial line is not the anchor
    time.sleep(0.2)
    assert not d.anchor.is_set() and srv.commands == []
    d.feed('gin","serve_s":5}\n')
    d.thread.join(3)
    d.finish()
    a, kill, late = sched.actions
    assert a.done and a.requested_size == G and 0.05 <= a.t_set_s < 1
    assert kill.done and kills and d.killed_at == kill.t_set_s
    assert not late.done and late.reason == 'QEMU killed by the schedule at %g s' % kill.t_set_s
    log = d.log([event(0, 0, G)])
    assert log['killed_at_s'] == kill.t_set_s and log['actions'][0]['event']['seq'] == 0


def test_driver_anchor_never_seen(fake):
    path, srv = fake('ok')
    sched = hotplug.parse_schedule('0@vmem0=1G')
    d = hotplug.Driver(sched, path, lambda: None, anchor_timeout=0.2)
    d.start()
    d.thread.join(2)
    d.finish()
    assert sched.actions[0].reason == 'serve_begin not seen within 0.2 s' and srv.commands == []


def test_driver_qemu_exits_before_anchor(fake):
    path, _ = fake('ok')
    sched = hotplug.parse_schedule('0@vmem0=1G')
    d = hotplug.Driver(sched, path, lambda: None, anchor_timeout=60)
    d.start()
    t = time.monotonic()
    d.finish()
    assert time.monotonic() - t < 3
    assert sched.actions[0].reason == 'QEMU exited before serve_begin was seen'
    assert not d.log([])['anchor_seen']


def test_driver_qemu_gone_at_action(sockdir):
    """No QMP socket (QEMU died): the action says so, within the timeout."""
    sched = hotplug.parse_schedule('0@vmem0=1G', anchor='start')
    d = hotplug.Driver(sched, os.path.join(sockdir, 'none.sock'), lambda: None, qmp_timeout=0.2)
    d.start()
    d.thread.join(2)
    d.finish()
    a = sched.actions[0]
    assert not a.done and a.reason.startswith('QEMU exited or never opened') and a.t_set_s is not None


def test_driver_stops_between_actions(fake):
    path, _ = fake('ok')
    sched = hotplug.parse_schedule('0@vmem0=1G,30@vmem0=0', anchor='start')
    d = hotplug.Driver(sched, path, lambda: None, qmp_timeout=2)
    d.start()
    time.sleep(0.3)
    t = time.monotonic()
    d.finish()
    assert time.monotonic() - t < 3
    assert sched.actions[0].done and sched.actions[1].reason == 'QEMU exited before 30 s'


def test_serve_begin_found_in_feed():
    d = hotplug.Driver(hotplug.parse_schedule('1@vmem0=0'), '/nonexistent', lambda: None)
    d.feed(serve_begin_line())
    assert d.anchor.is_set()


# --- qemu_run.run(hotplug=...) with a fake QEMU ---------------------------

FAKE_QEMU = r'''#!/usr/bin/python3
import json, socket, sys, time
path = next(a for a in sys.argv if a.startswith('unix:'))[5:].split(',')[0]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print('booting\n{"schema":"numaboot/1","kind":"serve_begin","serve_s":30,"devices":[]}', flush=True)
conn, _ = srv.accept()
f = conn.makefile('rwb')
f.write(b'{"QMP": {"version": {}, "capabilities": []}}\n'); f.flush()
props = {'requested-size': 0, 'size': 0}
for line in f:
    m = json.loads(line)
    a = m.get('arguments', {})
    if m['execute'] == 'qom-set':
        props[a['property']] = a['value']
    ret = props[a['property']] if m['execute'] == 'qom-get' else {}
    f.write(json.dumps({'return': ret, 'id': m['id']}).encode() + b'\n'); f.flush()
    if m['execute'] == 'qom-set':
        print(json.dumps({'schema': 'numaboot/1', 'kind': 'hotplug_event', 'seq': 0, 'device': 0,
                          'op': 'plug', 'requested_size': a['value'], 'bytes': a['value'],
                          'status': 'ok'}, separators=(',', ':')), flush=True)
time.sleep(60)
'''


def test_run_drives_fake_qemu_and_kills_it(tmp_path, monkeypatch):
    """run(hotplug=...) adds the QMP socket, finds serve_begin in the output,
    sets the size, matches the event, and its kill ends the run as 'killed'."""
    import qemu_run
    try:
        qemu_run.check_harness(None)
    except qemu_run.HarnessError as exc:
        pytest.skip(str(exc))
    fake_qemu = tmp_path / 'qemu'
    fake_qemu.write_text(FAKE_QEMU)
    fake_qemu.chmod(0o755)
    monkeypatch.setattr(qemu_run, 'QEMU', str(fake_qemu))
    monkeypatch.delenv('NUMABOOT_QEMU_LOCK', raising=False)
    sched = hotplug.parse_schedule('0.1@vmem0=512M,0.5@kill', devices=1)
    topo = qemu_run.Topology(nodes=1, cpus=1, mem_gib=[1], vmem=[(0, 1, 0)])
    t = time.monotonic()
    r = qemu_run.run(topo, timeout=20, kernel='/nonexistent/bzImage', hotplug=sched)
    assert time.monotonic() - t < 15
    assert (r.status, r.code) == ('killed', 137), r.output
    assert any(a.startswith('unix:') and a.endswith('/qmp.sock,server=on,wait=off') for a in r.cmdline)
    size, kill = r.hotplug['actions']
    assert size['done'] and size['requested_size'] == 512 * M and size['plugged_size'] == 0
    assert size['event']['seq'] == 0 and r.hotplug['unmatched_events'] == []
    assert kill['done'] and r.hotplug['killed_at_s'] == kill['t_set_s'] >= 0.5


def test_driver_qemu_gone_mid_schedule(fake):
    """QEMU hangs up during an action: that action says so, the later ones
    are not tried (no connect retries against a dead QEMU)."""
    path, _ = fake('close')
    sched = hotplug.parse_schedule('0@vmem0=1G,0.1@vmem0=0,0.2@vmem0=512M', anchor='start')
    d = hotplug.Driver(sched, path, lambda: None, qmp_timeout=2)
    d.start()
    d.thread.join(3)
    d.finish()
    first, second, third = sched.actions
    assert first.reason.startswith('QEMU exited: QMP socket closed during QMP qom-set')
    assert second.t_set_s is None and second.reason.startswith('QEMU exited (QMP gone at 0')
    assert third.reason == second.reason
