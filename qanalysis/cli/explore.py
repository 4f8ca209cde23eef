"""``qanalysis explore [--port N]``: the explorer as a web page on 127.0.0.1 (Voilà)."""
from __future__ import annotations

import argparse

from ..explore.server import DEFAULT_PORT, serve


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port on 127.0.0.1 to serve the page on (default {DEFAULT_PORT})")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")


def run(args: argparse.Namespace) -> int:
    serve(args.port, open_browser=not args.no_browser)
    return 0
