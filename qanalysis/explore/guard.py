"""Who may open the explorer page, and how many kernels it may hold (``qanalysis explore``).

Imported by :func:`server.serve` only when serving, because it subclasses Voilà's
application (seconds to import). Four rules, on top of Voilà's own token check
(jupyter_server's ``IdentityProvider``: ``?token=`` once, then a cookie):

- **Host allow-list**: a request whose ``Host`` header is not one of this machine's names
  for the address served (loopback unless ``--host``) gets 403 before any handler runs —
  static files, the page, the kernel websocket. A web page elsewhere that rebinds its
  name to 127.0.0.1 sends its own name as ``Host`` and is refused.
- **a cap on live kernels**: beyond ``max_pages`` live kernels a page request gets a
  short Chinese page (503) and starts nothing.
- **kernels go with their page**: Voilà's page asks the server to shut its kernel on
  ``beforeunload``; a kernel whose page never connected or whose websocket closed is
  shut after ``idle_seconds`` (jupyter_server's culler, ``cull_connected=False``: a
  page still open is never culled).
"""
from __future__ import annotations

import ipaddress
import re
import socket
import webbrowser

from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

FULL_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<title>质量强市指标查看器:页面已满</title></head><body style="font-family:sans-serif;margin:3em">
<h1>查看器已打开{n}个页面,达到上限</h1>
<p>每个打开的页面占用一个计算进程。请关闭不再使用的查看器页面(关闭后约{idle}秒内释放),然后刷新本页。</p>
<p>The explorer already has {n} pages open (its limit); close one and reload this page.</p>
</body></html>"""


def allowed_hosts(host: str) -> frozenset[str]:
    """The ``Host`` names accepted when serving on ``host`` (port stripped, lower case)."""
    names = set(LOOPBACK_NAMES)
    if host not in ("127.0.0.1", "localhost", "::1"):
        names.add(host.lower())
        if host in ("0.0.0.0", "::"):  # every interface: this machine's own names and addresses
            hostname = socket.gethostname()
            names |= {hostname.lower(), socket.getfqdn().lower()}
            try:
                names |= set(socket.gethostbyname_ex(hostname)[2])
            except OSError:
                pass
    return frozenset(names)


def host_ok(header: str, names: frozenset[str]) -> bool:
    """Whether a request's ``Host`` header (``name[:port]``, ``[v6][:port]``) is allowed."""
    m = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::\d+)?|([^:\[\]]+)(?::\d+)?", header or "")
    if not m:
        return False
    name = (m.group(1) or m.group(2)).lower()
    if name in names:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback and "127.0.0.1" in names
    except ValueError:
        return False


class _HostGuard:
    """Mixed into every handler Voilà registers: 403 for a foreign ``Host``."""

    def prepare(self):
        if not host_ok(self.request.host, self.settings["qanalysis_hosts"]):
            self.set_status(403)
            self.finish("403: this explorer answers only to its own address (Host not allowed)")
            return None
        return super().prepare()


class _CappedPage(_HostGuard, TornadoVoilaHandler):
    """The page: a new kernel only while fewer than ``max_pages`` are live."""

    starting = 0  # page requests between the cap check and their kernel being listed

    async def get(self, path=None):
        if self.current_user is None:  # Voilà's own handler refuses (redirect to the login page)
            return await super().get(path)
        cap = self.settings["qanalysis_max_pages"]
        live = len(self.kernel_manager.list_kernel_ids()) + _CappedPage.starting
        if live >= cap:
            self.set_status(503)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Retry-After", str(self.settings["qanalysis_idle"]))
            self.finish(FULL_PAGE.format(n=cap, idle=self.settings["qanalysis_idle"]))
            return None
        _CappedPage.starting += 1  # the event loop is single-threaded: check and count are atomic
        try:
            return await super().get(path)
        finally:
            _CappedPage.starting -= 1


class ExploreApp(Voila):
    """Voilà with the allow-list, the cap and a browser opened on the tokened address."""

    qa_host = "127.0.0.1"
    qa_max_pages = 4
    qa_idle = 120
    qa_url = ""

    def init_settings(self) -> dict:
        settings = super().init_settings()
        settings.update(qanalysis_hosts=allowed_hosts(self.qa_host),
                        qanalysis_max_pages=self.qa_max_pages, qanalysis_idle=self.qa_idle)
        return settings

    def init_handlers(self) -> list:
        out = []
        for pattern, cls, *rest in super().init_handlers():
            if cls is TornadoVoilaHandler:
                guarded = _CappedPage
            else:
                guarded = type(cls.__name__, (_HostGuard, cls), {})
            out.append((pattern, guarded, *rest))
        return out

    def launch_browser(self):
        # Voilà's own opener drops the token; open the address printed, token included
        try:
            webbrowser.open(self.qa_url, new=self.webbrowser_open_new)
        except webbrowser.Error as exc:
            self.log.warning("No web browser found: %s.", exc)
