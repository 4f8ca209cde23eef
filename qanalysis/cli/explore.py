"""``qanalysis explore``: the explorer as a web page on this machine (Voilà), behind a token."""
from __future__ import annotations

import argparse

from ..explore.server import DEFAULT_IDLE_SECONDS, DEFAULT_MAX_PAGES, DEFAULT_PORT, serve


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to serve the page on (default {DEFAULT_PORT})")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1, this machine only); another "
                             "address, e.g. 0.0.0.0 on a shared intranet machine, is reachable by "
                             "whoever is given the printed address with its token")
    parser.add_argument("--max-pages", type=int, default=DEFAULT_MAX_PAGES,
                        help=f"pages (kernels) open at once (default {DEFAULT_MAX_PAGES}); "
                             "beyond it a page says the explorer is full")
    parser.add_argument("--idle-timeout", type=int, default=DEFAULT_IDLE_SECONDS,
                        help="seconds after which a kernel with no page connected is shut "
                             f"(default {DEFAULT_IDLE_SECONDS})")


def run(args: argparse.Namespace) -> int:
    serve(args.port, open_browser=not args.no_browser, host=args.host,
          max_pages=args.max_pages, idle_seconds=args.idle_timeout)
    return 0
