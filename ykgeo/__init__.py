"""ykgeo: the Yongkang land and infrastructure planner (永康市用地与基础设施目标 GIS 工具)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ykgeo")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
