"""The README's 用自己的数据 walk-through, run exactly as written on files written the way a bureau would.

The commands of the section's first ``bash`` block run in order in one shell, in a fresh
folder holding what a planner brings: a GBK shapefile of the 低效工业用地 ledger in
CGCS2000 3° GK zone 40 (EPSG:4528) with pinyin field names. The one manual step (the
comment line: fill the template in Excel) is done here with openpyxl on the template the
previous command wrote. The last command, ``ykgeo app``, runs until the app answers, then
is stopped.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely

from ykgeo.store import Store, now

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def walkthrough() -> list[str]:
    """The lines of the first bash block under 用自己的数据."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## 用自己的数据", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "README: no bash block under 用自己的数据"
    return [line for line in block.group(1).splitlines() if line.strip()]


def _ledger(folder: Path, today: dt.date) -> Path:
    """Six parcels near 古山 as the bureau's GBK shapefile in GK zone 40, two done this year."""
    x0, y0 = 40_508_000.0, 3_203_000.0
    squares = [shapely.box(x0 + 300 * i, y0, x0 + 300 * i + 100, y0 + 100) for i in range(6)]
    done = (today - dt.timedelta(days=3)).isoformat()
    frame = gpd.GeoDataFrame(
        {
            "DKBH": [f"GS-{i:03d}" for i in range(1, 7)],
            "QYMC": [f"永康市第{i}五金厂" for i in range(1, 7)],
            "SSZJ": ["古山镇"] * 6,
            "DLBM": ["0601"] * 6,
            "ZT": ["已完成", "已完成", "推进中", "推进中", "未启动", "未启动"],
            "WCRQ": [done, done, None, None, None, None],
            "YDMJ": [15.0] * 6,
        },
        geometry=squares,
        crs=4528,
    )
    path = folder / "低效工业用地台账.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame.to_file(path, encoding="GBK")
    assert (folder / "低效工业用地台账.cpg").read_text().strip().upper() == "GBK"
    return path


def _fill_template(folder: Path, today: dt.date) -> None:
    """What a planner does in Excel: keep the 整治 row, give it 30 亩 and split it by township."""
    book = openpyxl.load_workbook(folder / "目标模板.xlsx")
    plan = book["计划"]
    for row in plan.iter_rows(min_row=2):
        if row[0].value == "状态":
            row[1].value = "正式"
        if row[0].value == "年度":
            assert row[1].value == today.year
    targets = book["目标"]
    header = [c.value for c in targets[1]]
    keep = next(
        r for r in range(2, targets.max_row + 1)
        if targets.cell(row=r, column=header.index("图层") + 1).value == "low_efficiency_industrial"
    )  # fmt: skip
    for r in range(targets.max_row, 1, -1):
        if r != keep:
            targets.delete_rows(r)
    targets.cell(row=2, column=header.index("目标名称") + 1).value = "整治低效工业用地"
    targets.cell(row=2, column=header.index("目标值") + 1).value = 30
    towns = book["镇街目标"]
    for col in range(towns.max_column, 2, -1):
        towns.delete_cols(col)  # one column for the one target kept
    for r in range(2, towns.max_row + 1):
        name = towns.cell(row=r, column=1).value
        towns.cell(row=r, column=2).value = {"古山镇": 20, "东城街道": 10}.get(name, 0)
    book.save(folder / "年度目标.xlsx")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    lines = walkthrough()
    assert lines[0] == "source .venv/bin/activate" and lines[-1] == "ykgeo app"
    manual = next(i for i, line in enumerate(lines) if line.lstrip().startswith("#"))
    today = now().date()
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))  # the checkout's environment
    _ledger(tmp_path, today)
    env = {k: v for k, v in os.environ.items() if k not in ("YKGEO_STORE", "VIRTUAL_ENV")}

    def run(commands: list[str]) -> str:
        script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{commands}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    setup = [line for line in lines[:manual] if line.startswith(("source", "export"))]
    before = run(lines[:manual])
    assert "已创建项目库" in before and (tmp_path / "目标模板.xlsx").exists()
    _fill_template(tmp_path, today)
    after = run(setup + lines[manual + 1 : -1])
    assert "已导入" in after and "计划第 1 版" in after
    assert "整治低效工业用地" in after and "下达 14 个镇街" in after
    store = Store(tmp_path / "我的项目库.gpkg")
    assert store.count("low_efficiency_industrial") == 6
    # the first progress figure: two 100 m squares done (GK planar → ellipsoidal: within 31 ppm of 30 亩)
    progress = after.split("统计日", 1)[1]
    assert "【整治低效工业用地】目标 30 亩，已完成 30.00" in progress
    assert "分解目标：下达" in progress and "古山镇" in progress
    # the last line opens the app on that store: it answers on its port, then it is stopped
    port = _free_port()
    app = subprocess.Popen(
        ["bash", "-c", "\n".join([*setup, lines[-1]])],
        cwd=tmp_path,
        env={**env, "STREAMLIT_SERVER_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        answer = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=2
                ) as r:
                    answer = r.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert answer == "ok", "the app did not answer"
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)
