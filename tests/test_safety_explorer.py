"""``qanalysis explore`` as a stranger and a flood see it: a real server on 127.0.0.1.

One server process (``--max-pages 2 --idle-timeout 8``) is started for the module and
talked to with plain HTTP (urllib / http.client) and a raw websocket handshake; the
kernels it holds are counted from /proc (children running ipykernel) and their memory
summed. Every step is bounded in time; nothing leaves the loopback interface.
"""
from __future__ import annotations

import base64
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a served explorer and twenty page loads: left out of `make check`

ROOT = Path(__file__).resolve().parents[1]
MAX_PAGES = 2
IDLE = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d))
    return out


def _tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def kernels(pid: int) -> int:
    n = 0
    for p in _tree(pid):
        try:
            if b"ipykernel" in Path(f"/proc/{p}/cmdline").read_bytes():
                n += 1
        except OSError:
            pass
    return n


def rss_mb(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def get(port: int, path: str, host: str | None = None, timeout: float = 120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}"})
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace"), dict(r.getheaders())
    finally:
        conn.close()


def ws_handshake(port: int, path: str, host: str) -> int:
    """The status of a websocket upgrade request (101 = accepted)."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Origin: http://{host}\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(1024)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("explore-safety")
    port = _free_port()
    log = state / "explore.log"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "qanalysis", "explore", "--port", str(port),
                                 "--no-browser", "--max-pages", str(MAX_PAGES), "--idle-timeout", str(IDLE)],
                                stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=state)
    try:
        end = time.monotonic() + 90
        token = None
        while time.monotonic() < end:
            assert proc.poll() is None, log.read_text()
            m = re.search(r"http://127\.0\.0\.1:%d/\?token=([\w-]+)" % port, log.read_text())
            if m:
                token = m.group(1)
                try:
                    if get(port, "/voila/static/voila.js", timeout=5)[0] == 200:
                        break
                except OSError:
                    pass
            time.sleep(0.3)
        else:
            pytest.fail("explore did not start:\n" + log.read_text()[-3000:])
        yield port, token, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_kernels(pid: int, n: int, timeout: float) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if kernels(pid) == n:
            return n
        time.sleep(0.5)
    return kernels(pid)


def test_the_printed_address_carries_a_long_random_token(server):
    port, token, _ = server
    assert len(token) >= 32


def test_without_the_token_nothing_is_served_and_no_kernel_starts(server):
    port, token, proc = server
    status, _, headers = get(port, "/")
    assert status in (302, 403) and "token" not in headers.get("Location", "")
    assert get(port, "/?token=wrong" + token[:8])[0] in (302, 403)
    assert kernels(proc.pid) == 0
    # the kernel websocket refuses without the token
    assert ws_handshake(port, "/api/kernels/0f0e0d0c-0b0a-4909-8807-060504030201/channels",
                        f"127.0.0.1:{port}") != 101


def test_a_foreign_host_is_refused_even_with_the_token(server):
    port, token, proc = server
    for path in ("/?token=" + token, "/voila/static/voila.js"):
        status, body, _ = get(port, path, host="evil.example")
        assert status == 403 and "Host" in body
    status, _, _ = get(port, "/?token=" + token, host=f"evil.example:{port}")
    assert status == 403
    assert kernels(proc.pid) == 0
    assert ws_handshake(port, f"/api/kernels/0f0e0d0c-0b0a-4909-8807-060504030201/channels?token={token}",
                        "evil.example") == 403


def test_twenty_page_loads_hold_at_most_the_cap_and_their_kernels_are_shut(server):
    port, token, proc = server
    assert _wait_kernels(proc.pid, 0, 60) == 0
    results, peak = [], [0, 0.0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], kernels(proc.pid))
            peak[1] = max(peak[1], rss_mb(proc.pid))
            time.sleep(0.2)

    def load():
        results.append(get(port, "/?token=" + token, timeout=180))

    watcher = threading.Thread(target=watch)
    watcher.start()
    loads = [threading.Thread(target=load) for _ in range(20)]
    for t in loads:
        t.start()
    for t in loads:
        t.join(200)
    stop.set()
    watcher.join(10)
    codes = sorted(r[0] for r in results)
    assert len(codes) == 20 and set(codes) <= {200, 503}
    assert 1 <= codes.count(200) <= MAX_PAGES
    full = next(r for r in results if r[0] == 503)
    assert "达到上限" in full[1] and "Retry-After" in full[2]
    assert peak[0] <= MAX_PAGES
    # the server and two kernels: well under what 20 kernels (~5 GB) would take
    assert peak[1] < 350 + MAX_PAGES * 450, peak
    page = next(r[1] for r in results if r[0] == 200)
    kernel_id = re.search(r'"kernelId"\s*:\s*"([0-9a-f-]{36})"', page).group(1)
    # the page's own kernel websocket opens with the token and this machine's name
    assert ws_handshake(port, f"/api/kernels/{kernel_id}/channels?token={token}", f"127.0.0.1:{port}") == 101
    # nobody stays connected: every kernel is shut after the idle timeout, and a page loads again
    assert _wait_kernels(proc.pid, 0, IDLE * 6) == 0
    assert get(port, "/?token=" + token)[0] == 200
