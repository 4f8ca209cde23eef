"""``qanalysis explore [--port N]``: the explorer as a web page on this machine (Voilà).

For readers without JupyterLab. Voilà runs a one-cell notebook (:func:`page_notebook`)
in a kernel and serves only its outputs: no code is shown, nothing can be edited.
The server listens on 127.0.0.1 only. The page requests nothing from the internet:
Voilà's stock "lab" page links Font Awesome from a CDN, so it is served through the
template ``qanalysis-explore`` (shipped in ``jupyter/voila/templates/``) that drops
those links, and the Chinese text is drawn with the embedded font subset.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ..errors import QAnalysisError

DEFAULT_PORT = 8866
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
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = ([nbformat.v4.new_markdown_cell(PAGE_TITLE + "\n\n" + PAGE_INTRO)] if PAGE_TITLE else []) \
        + [nbformat.v4.new_code_cell(PAGE_CODE)]
    return nb


def voila_argv(notebook: Path, port: int, open_browser: bool) -> list[str]:
    return [
        str(notebook),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",          # this machine only
        "--Voila.port_retries=0",        # the port asked for, or a clear failure
        f"--template={TEMPLATE}",
        "--theme=light",
        "--strip_sources=True",          # code hidden
        "--show_tracebacks=False",
        # "null" for both makes the page use the MathJax bundled with Voilà, not cdnjs
        "--Voila.mathjax_url=null",
        "--Voila.mathjax_config=null",
        "--no-browser" if not open_browser else "--Voila.open_browser=True",
    ]


def _check_port(port: int) -> None:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise QAnalysisError(f"port {port} on 127.0.0.1 is in use ({exc.strerror}); "
                                 f"choose another with --port") from None


def serve(port: int = DEFAULT_PORT, open_browser: bool = True) -> None:
    """Serve the explorer page on 127.0.0.1:``port`` until Ctrl-C."""
    if not 1 <= port <= 65535:
        raise QAnalysisError(f"--port must be between 1 and 65535, not {port}")
    try:
        from voila.app import Voila  # Voilà (and its Jupyter server) only when serving: seconds to import
    except ImportError:
        raise QAnalysisError("Voilà is not installed: pip install voila (a declared dependency)") from None
    import warnings

    import nbformat  # with Voilà: not needed to import this module

    _check_port(port)
    # the two options above are marked deprecated; setting them is still what keeps cdnjs out
    warnings.filterwarnings("ignore", message=r"Voila\.mathjax_", category=DeprecationWarning)
    # Voilà finds templates on the Jupyter data path; ours first. Read when Voilà starts.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(JUPYTER_DIR)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    with tempfile.TemporaryDirectory(prefix="qanalysis-explore-") as tmp:
        notebook = Path(tmp) / PAGE_NAME
        nbformat.write(page_notebook(), notebook)
        print(f"qanalysis explore: http://127.0.0.1:{port}/  (Ctrl-C to stop)", file=sys.stderr,
              flush=True)
        Voila.launch_instance(argv=voila_argv(notebook, port, open_browser))
