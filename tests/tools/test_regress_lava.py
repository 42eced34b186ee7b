"""LAVA results as a real server's REST API gives them: paged
({"count", "next", "previous", "results"}), fetched page by page by
tools/lava_results.py --server (a local HTTP server stands in for
lava-server's /api/v0.2/jobs/ID/tests/), and the lab job template."""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lava_results  # noqa: E402
from test_lava_results import job_log  # noqa: E402


def rest_tests(scale=1.0):
    return [{'id': i, 'name': r['name'], 'suite': r['suite'], 'result': r['result'],
             'measurement': r['measurement'], 'unit': r['unit'], 'job': '7'}
            for i, r in enumerate(lava_results.results_from_log(job_log(scale)))]


@pytest.fixture
def server():
    """A REST stand-in: /api/v0.2/jobs/<id>/tests/?limit=&offset= in pages of at most 10."""
    seen = []

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            u = urlparse(self.path)
            parts = u.path.strip('/').split('/')
            seen.append((self.path, self.headers.get('Authorization')))
            if parts[:3] != ['api', 'v0.2', 'jobs'] or parts[4:] != ['tests'] or parts[3] not in ('7', '8'):
                self.send_error(404, 'Not Found')
                return
            q = parse_qs(u.query)
            limit, offset = min(int(q.get('limit', ['10'])[0]), 10), int(q.get('offset', ['0'])[0])
            tests = rest_tests(1.0 if parts[3] == '7' else 1.1)
            nxt = (f'http://{self.headers["Host"]}{u.path}?limit={limit}&offset={offset + limit}'
                   if offset + limit < len(tests) else None)
            body = json.dumps({'count': len(tests), 'next': nxt, 'previous': None,
                               'results': tests[offset:offset + limit]}).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = ThreadingHTTPServer(('127.0.0.1', 0), H)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}', seen
    httpd.shutdown()


def test_fetch_follows_every_page(server):
    """Old tool: read a bare list only; nothing fetched from a server."""
    url, seen = server
    tests = lava_results.fetch_tests(url, '7', token='s3cret')
    assert [t['name'] for t in tests] == [t['name'] for t in rest_tests()]
    assert len(seen) == -(-len(tests) // 10) > 1 and all(a == 'Token s3cret' for _, a in seen)


def test_server_jobs_to_bench_results(server, tmp_path, monkeypatch):
    url, _ = server
    out = tmp_path / 'r.json'
    monkeypatch.setenv('LAVA_TOKEN', 'abc')
    assert lava_results.main(['--server', url, '--job', '7', '--job', '8', '--token-env', 'LAVA_TOKEN',
                              '--topology', 'lava-qemu', '-o', str(out)]) == 0
    e = json.loads(out.read_text())['topologies']['lava-qemu']
    assert e['boots'] == [{'status': 'ok'}] * 2 and len(e['modes']['parallel']['samples']['ms']) == 2


def test_server_errors_are_125(server, capsys):
    url, _ = server
    assert lava_results.main(['--server', url, '--job', '99', '--topology', 't']) == 125
    assert 'HTTP 404' in capsys.readouterr().err
    assert lava_results.main(['--server', 'http://127.0.0.1:9', '--job', '7', '--topology', 't']) == 125


def test_a_page_alone_is_refused_and_all_pages_accepted(tmp_path, capsys):
    tests = rest_tests()
    p1 = {'count': len(tests), 'next': 'http://lava/api/v0.2/jobs/7/tests/?offset=10', 'results': tests[:10]}
    p2 = {'count': len(tests), 'next': None, 'results': tests[10:]}
    (tmp_path / 'p1.json').write_text(json.dumps(p1))
    assert lava_results.main([str(tmp_path / 'p1.json'), '--topology', 't']) == 4
    assert 'more at http://lava' in capsys.readouterr().err
    (tmp_path / 'all.json').write_text(json.dumps([p1, p2]))
    assert lava_results.main([str(tmp_path / 'all.json'), '--topology', 't', '-o', str(tmp_path / 'o.json')]) == 0


def test_usage(capsys):
    with pytest.raises(SystemExit) as e:
        lava_results.main(['--topology', 't'])
    assert e.value.code == 2


def test_lab_template_gets_an_address_before_chain_loading():
    """Old template: `chain tftp://...` as the first iPXE command, with no
    address (a real lab's iPXE has none until `dhcp`)."""
    import yaml
    job = yaml.safe_load(open(os.path.join(ROOT, 'tools', 'lava', 'job-x86-uefi.yaml')))
    boot = [a['boot'] for a in job['actions'] if 'boot' in a][0]
    cmds = boot['commands']
    assert cmds[0] == 'dhcp' and cmds[1].startswith('chain ')
