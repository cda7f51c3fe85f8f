"""Benchmark: the server's memory while an anonymous visitor uploads, ykgeo's app beside a bare Streamlit app.

Usage::

    python benchmarks/bench_upload_memory.py            # 6 uploads of 100 MB
    python benchmarks/bench_upload_memory.py 3 50       # 3 uploads of 50 MB

Each server is started on a free localhost port: the ykgeo app on a copy of the demo
store, and, as the peer, a Streamlit app of two lines with a file uploader and
Streamlit's defaults, run from a folder of its own. A headless chromium opens each one
without signing in, reads the session ids Streamlit sends over its websocket, and PUTs
the uploads to Streamlit's upload endpoint from the page (with the XSRF token, as the
uploader widget does). Printed per server: the HTTP answers, and the server process's
resident memory (VmRSS) once the page is up and after the uploads, and its peak (VmHWM),
from ``/proc``.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "gis" / "yongkang-demo.gpkg"
CHROMIUM = "/usr/bin/chromium"
_PEER = 'import streamlit as st\nst.title("peer")\nst.file_uploader("文件")\n'
_UUID = re.compile(rb"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}")


def _memory_mb(pid: int) -> tuple[float, float]:
    status = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(cmd: list[str], cwd: Path, log: Path, url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def _upload(url: str, n: int, mb: int, pid: int) -> tuple[list[int], tuple[float, float]]:
    """PUT the uploads from an anonymous page; the answers, and the server's memory once the page is up."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser = play.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page()
        ids: set[str] = set()

        def frames(ws: object) -> None:
            ws.on(  # type: ignore[attr-defined]
                "framereceived",
                lambda p: ids.update(
                    m.decode() for m in _UUID.findall(p if isinstance(p, bytes) else p.encode())
                ),
            )

        page.on("websocket", frames)
        page.goto(url)
        page.wait_for_selector("h1", timeout=60_000)
        page.wait_for_timeout(3000)
        before = _memory_mb(pid)
        statuses = []
        for i in range(n):
            status = 0
            for sid in sorted(ids):  # the session's own id is among those it was sent
                status = int(
                    page.evaluate(
                        """async ([sid, i, mb]) => {
                          const xsrf = (document.cookie.match(/_streamlit_xsrf=([^;]+)/) || [])[1] || '';
                          const form = new FormData();
                          form.append('file', new Blob([new Uint8Array(mb * 1024 * 1024)]), `big${i}.zip`);
                          try {
                            const r = await fetch(`/_stcore/upload_file/${sid}/bench-${i}`, {method: 'PUT',
                              body: form, headers: {'X-Xsrftoken': decodeURIComponent(xsrf)}});
                            return r.status;
                          } catch (e) { return 0; }
                        }""",
                        [sid, i, mb],
                    )
                )
                if status != 400:  # 400: not a session id
                    break
            statuses.append(status)
        browser.close()
    return statuses, before


@dataclass(frozen=True)
class Run:
    server: str
    statuses: list[int]
    before: tuple[float, float]
    after: tuple[float, float]


def measure(name: str, cmd: list[str], cwd: Path, folder: Path, n: int, mb: int) -> Run:
    port = _port()
    url = f"http://127.0.0.1:{port}"
    full = [
        *cmd[:4], "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false", *cmd[4:],
    ]  # fmt: skip
    proc = _start(full, cwd, folder / f"{name}.log", url)
    try:
        statuses, before = _upload(url, n, mb, proc.pid)
        time.sleep(2)
        after = _memory_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return Run(name, statuses, before, after)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    with tempfile.TemporaryDirectory(prefix="ykgeo-bench-upload-") as tmp:
        folder = Path(tmp)
        store = folder / "store.gpkg"
        shutil.copyfile(DEMO, store)
        streamlit = [sys.executable, "-m", "streamlit", "run"]
        ours = [*streamlit, str(ROOT / "app.py"), "--", "--store", str(store),
                "--users", str(folder / "no-users.toml")]  # fmt: skip
        peer_dir = folder / "peer"
        peer_dir.mkdir()
        (peer_dir / "peer_app.py").write_text(_PEER, encoding="utf-8")
        peer = [*streamlit, str(peer_dir / "peer_app.py")]
        rows = [
            measure("ykgeo app", ours, ROOT, folder, n, mb),
            measure("bare Streamlit", peer, peer_dir, folder, n, mb),
        ]
    print(f"anonymous visitor uploading {n} × {mb} MB to Streamlit's upload endpoint")
    print(f"{'server':<16}{'answers':<28}{'RSS before':>11}{'RSS after':>11}{'peak':>8}  (MB)")
    for r in rows:
        answers = ",".join(str(s) for s in r.statuses)
        print(
            f"{r.server:<16}{answers:<28}{r.before[0]:>11.0f}{r.after[0]:>11.0f}{r.after[1]:>8.0f}"
        )


if __name__ == "__main__":
    main()
