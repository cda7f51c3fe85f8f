"""The last resort of the command line: unexpected errors and stray warnings go to a log, not the terminal."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["log_path", "log_warnings", "unexpected_error"]


def log_path() -> Path:
    """Where the details go: ``$YKGEO_LOG``, else ``~/.cache/ykgeo/ykgeo.log``."""
    return Path(os.environ.get("YKGEO_LOG") or Path.home() / ".cache" / "ykgeo" / "ykgeo.log")


def _write_log(record: Callable[[logging.Logger], None]) -> Path:
    """Append to the log file (opened only when there is something to say) and return its path."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("ykgeo.cli")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        record(log)
    finally:
        log.removeHandler(handler)
        handler.close()
    return path


def unexpected_error(err: BaseException, args: argparse.Namespace) -> str:
    """One Chinese line for an error nobody foresaw, naming the file; the traceback goes to the log."""
    target = getattr(args, "file", None) or getattr(args, "layer", None) or ""
    where = f"处理 {Path(str(target)).name} 时" if target else ""

    def record(log: logging.Logger) -> None:
        log.error("ykgeo %s %s", args.command, target, exc_info=err)

    try:
        path = _write_log(record)
    except OSError:
        traceback.print_exception(err, file=sys.stderr)
        return f"{where}发生意外错误（{type(err).__name__}），且无法写入日志"
    return (
        f"{where}发生意外错误（{type(err).__name__}），未能完成。详情已写入日志 {path}；"
        "请把该文件和日志交给维护人员"
    )


def log_warnings(caught: Sequence[warnings.WarningMessage]) -> None:
    """Warnings no reader turned into a note: to the log, for the maintainers."""
    if not caught:
        return

    def record(log: logging.Logger) -> None:
        for item in caught:
            log.warning("%s: %s", item.category.__name__, item.message)

    with contextlib.suppress(OSError):
        _write_log(record)
