"""Which store to open when none is named: an explicit path, ``$YKGEO_STORE``, or a checkout's demo store.

The one place that knows where the demo store lives. A source checkout keeps it at
``data/gis/yongkang-demo.gpkg``; the package finds it beside its own source tree (an
editable install or a run from the checkout) or above the working directory (a
package installed from a wheel, run inside a checkout). When none of these gives a
store, :func:`default_store_path` says so in Chinese instead of returning a path
that does not exist.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ykgeo.errors import StoreError

__all__ = ["DEMO_STORE", "DEMO_STORE_IN_CHECKOUT", "default_store_path", "find_demo_store"]

#: Where a checkout keeps the demo store, relative to its root.
DEMO_STORE_IN_CHECKOUT = Path("data") / "gis" / "yongkang-demo.gpkg"

#: The demo store of the source tree this package was imported from (present in a checkout;
#: what ``make demo`` rebuilds). To find a store to open, use :func:`default_store_path`.
DEMO_STORE = Path(__file__).resolve().parents[2] / DEMO_STORE_IN_CHECKOUT

#: The environment variable that names the store.
STORE_VARIABLE = "YKGEO_STORE"


def _candidates(cwd: Path | None) -> list[Path]:
    """The demo store beside the package's source, then in the working directory and its parents."""
    here = (cwd if cwd is not None else Path.cwd()).resolve()
    found = [DEMO_STORE, *(folder / DEMO_STORE_IN_CHECKOUT for folder in (here, *here.parents))]
    return list(dict.fromkeys(found))


def find_demo_store(*, cwd: Path | None = None) -> Path | None:
    """The checkout's demo store, if there is one (see the module docstring for where it is looked for)."""
    return next((path for path in _candidates(cwd) if path.is_file()), None)


def default_store_path(
    explicit: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Path:
    """The store to open: ``explicit`` (``--store``), else ``$YKGEO_STORE``, else the checkout's demo store.

    Parameters
    ----------
    explicit
        A path the user gave (blank counts as none).
    environ
        The environment to read ``YKGEO_STORE`` from (default: this process's).
    cwd
        Where to start looking upwards for a checkout (default: the working directory).

    Raises
    ------
    StoreError
        No store was named and no checkout's ``data/gis/yongkang-demo.gpkg`` was found.
    """
    if explicit is not None and str(explicit).strip():
        return Path(explicit).expanduser()
    env = (os.environ if environ is None else environ).get(STORE_VARIABLE, "").strip()
    if env:
        return Path(env).expanduser()
    found = find_demo_store(cwd=cwd)
    if found is not None:
        return found
    msg = (
        f"未指定项目库：请用 --store 指定 GeoPackage 文件，或设置环境变量 {STORE_VARIABLE}；"
        f"也没有找到演示库 {DEMO_STORE_IN_CHECKOUT.as_posix()}"
        "（在源码目录中运行，或先用 make demo 生成）"
    )
    raise StoreError(
        msg,
        message_en=(
            f"no store given (--store or ${STORE_VARIABLE}) and no demo store "
            f"{DEMO_STORE_IN_CHECKOUT.as_posix()} found in a checkout"
        ),
    )
