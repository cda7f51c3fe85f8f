"""How long the 总览 page takes to show its first useful content on the demo store, cold and warm.

Usage::

    .venv/bin/python benchmarks/bench_overview.py [--runs 3]

Starts ``streamlit run app.py`` on a copy of the demo store (``data/gis/yongkang-demo.gpkg``)
and opens 总览 in headless Debian chromium. For each run it prints, in seconds from the
navigation start:

* ``summary``: the one-line summary (绿 · 黄 · 红) is on the page;
* ``first card``: the first target card shows its figure;
* ``idle``: Streamlit has finished running the page (every card, the township table, the chart).

``cold`` is the first visit after the server starts (nothing cached, modules still to import),
``warm`` a second visit in a new browser session (the loaders' caches filled). Beside them, from
the same run and the same machine, two peers:

* a bare Streamlit page (a title and one line of text): the floor of any Streamlit app here;
* ``ykgeo progress`` computed in-process (``progress_report`` on the same store and date): the
  work behind the figures, without a browser.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import APP_CHROMIUM, APP_CHROMIUM_ARGS, APP_DEMO_STORE  # noqa: E402

_BARE_APP = 'import streamlit as st\nst.title("年度目标总览")\nst.markdown("<span class=\'yk-done\'>1</span>", unsafe_allow_html=True)\n'
_IDLE = (
    "() => document.querySelector('[data-testid=\"stApp\"]')"
    "?.getAttribute('data-test-script-state') === 'notRunning'"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A Streamlit server started: its address and the seconds from its start until ready."""

    url: str
    ready_seconds: float


@contextmanager
def server(script: Path, *args: str, root: Path = ROOT) -> Iterator[Served]:
    """``streamlit run script`` with ``root`` first on the import path, until it answers its health check."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YKGEO_")}
    env["PYTHONPATH"] = str(root)
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", "--", *args]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(3000):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.04)
        yield Served(url, time.perf_counter() - start)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def launch(play: Any) -> Any:
    """Headless Debian chromium, as the browser tests start it."""
    return play.chromium.launch(
        executable_path=str(APP_CHROMIUM), headless=True, args=APP_CHROMIUM_ARGS
    )


def app_server(store: Path, work: Path, root: Path = ROOT) -> Any:
    """``streamlit run app.py`` of the tree ``root`` on ``store`` (no users file: the viewer role), as a context manager."""
    return server(
        root / "app.py", "--store", str(store), "--users", str(work / "none.toml"), root=root
    )


def visit(browser: Any, url: str, selectors: dict[str, str]) -> dict[str, float]:
    """Seconds from navigation start until each selector is visible, and until the script is idle."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    out: dict[str, float] = {}
    for name, selector in selectors.items():
        page.wait_for_selector(selector, state="visible", timeout=300_000)
        out[name] = time.perf_counter() - start
    page.wait_for_timeout(300)
    page.wait_for_function(_IDLE, timeout=300_000)
    out["idle"] = time.perf_counter() - start
    context.close()
    return out


def compute_seconds(store: Path, as_of: dt.date) -> float:
    from ykgeo.progress import progress_report
    from ykgeo.store import Store

    start = time.perf_counter()
    progress_report(Store(store), as_of=as_of, year=as_of.year)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="server starts (each: cold, then warm)")
    args = parser.parse_args()
    if not APP_CHROMIUM.exists() or not APP_DEMO_STORE.exists():
        sys.exit(f"needs {APP_CHROMIUM} and the demo store {APP_DEMO_STORE}")
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="ykgeo-bench-overview-"))
    store = work / "store.gpkg"
    shutil.copyfile(APP_DEMO_STORE, store)
    bare = work / "bare.py"
    bare.write_text(_BARE_APP, encoding="utf-8")
    selectors = {"summary": ".st-key-ykgeo_overview_summary", "first card": ".yk-done"}
    rows: list[tuple[str, str, dict[str, float]]] = []
    try:
        with sync_playwright() as play:
            browser = launch(play)
            for _ in range(args.runs):
                with app_server(store, work) as served:
                    url = served.url
                    rows.append(("ykgeo 总览", "cold", visit(browser, url, selectors)))
                    rows.append(("ykgeo 总览", "warm", visit(browser, url, selectors)))
                with server(bare) as served:
                    url = served.url
                    rows.append(
                        (
                            "bare Streamlit page",
                            "cold",
                            visit(browser, url, {"first card": ".yk-done"}),
                        )
                    )
                    rows.append(
                        (
                            "bare Streamlit page",
                            "warm",
                            visit(browser, url, {"first card": ".yk-done"}),
                        )
                    )
            browser.close()
        compute = [compute_seconds(store, dt.date(2022, 12, 31)) for _ in range(args.runs)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'page':<22} {'visit':<5} {'summary s':>10} {'first card s':>13} {'idle s':>8}")
    for name, kind, t in rows:
        summary = f"{t['summary']:.2f}" if "summary" in t else "—"
        print(f"{name:<22} {kind:<5} {summary:>10} {t['first card']:>13.2f} {t['idle']:>8.2f}")
    for kind in ("cold", "warm"):
        firsts = sorted(t["first card"] for n, k, t in rows if n == "ykgeo 总览" and k == kind)
        print(
            f"ykgeo 总览 {kind}: median first card {firsts[len(firsts) // 2]:.2f} s over {len(firsts)} runs"
        )
    print(f"progress_report (2022-12-31, in-process): {', '.join(f'{c:.2f}' for c in compute)} s")


if __name__ == "__main__":
    main()
