"""The ``ykgeo`` command: one sub-command group a module, on top of the library (which never imports it).

Groups: :mod:`~ykgeo.cli.project` (init, app), :mod:`~ykgeo.cli.data` (layers, area,
validate, import, export), :mod:`~ykgeo.cli.recovery` (backup, restore, batches, revert),
:mod:`~ykgeo.cli.qgis` (export-qgis, styles), :mod:`~ykgeo.cli.serve` (serve),
:mod:`~ykgeo.cli.mujun` (mujun import, list; candidates),
:mod:`~ykgeo.cli.plan` (plan template, import, list, show, export, history, rollover),
:mod:`~ykgeo.cli.progress` (progress, changes), :mod:`~ykgeo.cli.demo` (demo build,
raster demo), :mod:`~ykgeo.cli.raster` (raster …), :mod:`~ykgeo.cli.brief` (brief)
and :mod:`~ykgeo.cli.user` (user add, user list).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import warnings
from collections.abc import Sequence

from ykgeo.cli import (
    brief,
    data,
    demo,
    mujun,
    plan,
    progress,
    project,
    qgis,
    raster,
    recovery,
    serve,
    user,
)
from ykgeo.cli._errors import log_warnings, unexpected_error
from ykgeo.errors import YkgeoError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The full ``ykgeo`` argument parser."""
    parser = argparse.ArgumentParser(prog="ykgeo", description="永康市用地与基础设施目标 GIS 工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    groups = (
        project,
        data,
        recovery,
        qgis,
        serve,
        plan,
        mujun,
        progress,
        demo,
        raster,
        brief,
        user,
    )
    for group in groups:  # in help order
        group.add_cli(sub)
    return parser


class _NoticeHandler(logging.Handler):
    """The library's warnings (a recovered crash, a users file others can read) as ``提示：`` lines on stderr.

    Records of ``ykgeo.cli`` itself (stray warnings, unexpected errors) go to the log file only.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith("ykgeo.cli")

    def emit(self, record: logging.LogRecord) -> None:
        # sys.stderr of the moment, not of the handler's creation (tests swap it)
        print(f"提示：{record.getMessage()}", file=sys.stderr)


_NOTICES = _NoticeHandler(logging.WARNING)


def _show_notices() -> None:
    package = logging.getLogger("ykgeo")
    if _NOTICES not in package.handlers:
        package.addHandler(_NOTICES)
    if package.level == logging.NOTSET or package.level > logging.WARNING:
        package.setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ykgeo``; user errors print a Chinese message and exit 2, unexpected ones exit 3.

    No input ends in a traceback: an error nobody foresaw becomes one Chinese line naming the
    file, with the details in the log (:func:`~ykgeo.cli._errors.log_path`). Warnings from the
    libraries never reach the terminal: the readers turn the known ones into notes, stray ones
    are logged.
    """
    _show_notices()
    parser = build_parser()
    # what is loaded by now (the library's modules) lives as long as the process: frozen, the
    # collector stops scanning it again and again while a command works through 100,000 rows
    gc.freeze()
    args = parser.parse_args(argv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = int(args.func(args) or 0)
            sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        except YkgeoError as err:
            print(f"错误：{err}", file=sys.stderr)
            code = 2
        except KeyboardInterrupt:
            print("已中断", file=sys.stderr)
            code = 130
        except BrokenPipeError:
            # the reader went away (``ykgeo layers | head``): stop quietly, as Unix tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            code = 141
        except Exception as err:  # noqa: BLE001 — the last resort: no file may end in a traceback
            print(f"错误：{unexpected_error(err, args)}", file=sys.stderr)
            code = 3
    log_warnings(caught)
    return code
