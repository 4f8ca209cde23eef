"""``qanalysis explore [--port N]``: the explorer as a web page on this machine (Voilà).

For readers without JupyterLab. Voilà runs a one-cell notebook (:func:`page_notebook`)
in a kernel and serves only its outputs: no code is shown, nothing can be edited.
The server listens on 127.0.0.1 unless ``--host`` names another address; the printed
address carries a random token (as Jupyter's does) and nothing answers without it;
requests naming a foreign ``Host``, kernels beyond ``--max-pages`` and kernels whose page
has gone are handled by :mod:`.guard`. The page requests nothing from the internet:
Voilà's stock "lab" page links Font Awesome from a CDN, so it is served through the
template ``qanalysis-explore`` (shipped in ``jupyter/voila/templates/``) that drops
those links, and the Chinese text is drawn with the embedded font subset.
"""
from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path

from ..errors import QAnalysisError

DEFAULT_PORT = 8866
DEFAULT_MAX_PAGES = 4     # live kernels (~250 MB each) at once; beyond it a "page full" notice
DEFAULT_IDLE_SECONDS = 120  # a kernel with no page connected is shut after this long
TEMPLATE = "qanalysis-explore"
JUPYTER_DIR = Path(__file__).resolve().parent / "jupyter"  # holds voila/templates/<TEMPLATE>/
PAGE_NAME = "指标查看器.ipynb"

# The title, the target year and the 示例数据 sentence are the plan's: the Explorer widget shows them.
PAGE_TITLE = ""
PAGE_INTRO = ""
# no JupyterLab bars on this page: the chart may be taller
PAGE_CODE = 'from qanalysis.explore import Explorer\n\nExplorer(chart_max_height="calc(100vh - 290px)")'


def page_notebook():
    """The notebook Voilà runs: a heading, a sentence, one cell that shows the explorer."""
    # nbformat only when a notebook is written or read (start-up speed)
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = ([nbformat.v4.new_markdown_cell(PAGE_TITLE + "\n\n" + PAGE_INTRO)] if PAGE_TITLE else []) \
        + [nbformat.v4.new_code_cell(PAGE_CODE)]
    return nb


def voila_argv(notebook: Path, port: int, open_browser: bool, host: str = "127.0.0.1",
               idle_seconds: int = DEFAULT_IDLE_SECONDS) -> list[str]:
    return [
        str(notebook),
        f"--port={port}",
        f"--Voila.ip={host}",            # this machine only unless --host
        "--Voila.port_retries=0",        # the port asked for, or a clear failure
        f"--template={TEMPLATE}",
        "--theme=light",
        "--strip_sources=True",          # code hidden
        "--show_tracebacks=False",
        # "null" for both makes the page use the MathJax bundled with Voilà, not cdnjs
        "--Voila.mathjax_url=null",
        "--Voila.mathjax_config=null",
        # a kernel nobody is connected to (page closed, tab killed, a bare GET) is shut
        f"--MappingKernelManager.cull_idle_timeout={idle_seconds}",
        f"--MappingKernelManager.cull_interval={max(1, min(30, idle_seconds // 4))}",
        "--MappingKernelManager.cull_connected=False",
        "--no-browser" if not open_browser else "--Voila.open_browser=True",
    ]


def _check_port(port: int, host: str = "127.0.0.1") -> None:
    # stdlib, needed only on this path
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            what = "is in use" if exc.errno == errno.EADDRINUSE else "cannot be used"
            raise QAnalysisError(f"port {port} on {host} {what} ({exc.strerror}); "
                                 f"choose another with --port or --host") from None


def serve(port: int = DEFAULT_PORT, open_browser: bool = True, host: str = "127.0.0.1",
          max_pages: int = DEFAULT_MAX_PAGES, idle_seconds: int = DEFAULT_IDLE_SECONDS) -> None:
    """Serve the explorer page on ``host``:``port`` until Ctrl-C, behind a fresh random token."""
    if not 1 <= port <= 65535:
        raise QAnalysisError(f"--port must be between 1 and 65535, not {port}")
    if max_pages < 1:
        raise QAnalysisError(f"--max-pages must be at least 1, not {max_pages}")
    if idle_seconds < 1:
        raise QAnalysisError(f"--idle-timeout must be at least 1 second, not {idle_seconds}")
    if not host or any(c in host for c in "/?#@ ") or host.startswith("["):
        raise QAnalysisError(f"--host must be a host name or an IP address, not {host!r}")
    try:
        # Voilà (and its Jupyter server) only when serving: seconds to import
        from .guard import ExploreApp
    except ImportError:
        raise QAnalysisError("Voilà is not installed: pip install voila (a declared dependency)") from None
    # stdlib, needed only on this path
    import warnings

    import nbformat  # with Voilà: not needed to import this module

    _check_port(port, host)
    # the two options above are marked deprecated; setting them is still what keeps cdnjs out
    warnings.filterwarnings("ignore", message=r"Voila\.mathjax_", category=DeprecationWarning)
    # Voilà finds templates on the Jupyter data path; ours first. Read when Voilà starts.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(JUPYTER_DIR)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    token = secrets.token_urlsafe(32)  # new at every start; never on a command line (ps shows those)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/?token={token}"
    app = type("ExploreApp", (ExploreApp,), dict(qa_host=host, qa_max_pages=max_pages,
                                                 qa_idle=idle_seconds, qa_url=url))
    with tempfile.TemporaryDirectory(prefix="qanalysis-explore-") as tmp:
        notebook = Path(tmp) / PAGE_NAME
        nbformat.write(page_notebook(), notebook)
        print(f"qanalysis explore: {url}  (open this address, token included; Ctrl-C to stop)",
              file=sys.stderr, flush=True)
        app.launch_instance(argv=voila_argv(notebook, port, open_browser, host, idle_seconds),
                            token=token)
