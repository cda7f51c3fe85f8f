"""The app's settings: one frozen dataclass from the command line (after ``--``) and environment."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ykgeo.auth import ThrottlePolicy, default_users_path
from ykgeo.errors import StoreError
from ykgeo.maps import MapSettings, basemap_names
from ykgeo.store import DEMO_STORE_IN_CHECKOUT, default_store_path

__all__ = ["AppSettings", "parse_settings"]

_ONLINE = ("tianditu_vec", "tianditu_img", "amap", "osm")


@dataclass(frozen=True)
class AppSettings:
    """Everything the app is configured with; passed to every page, never a module global.

    Attributes
    ----------
    store_path
        The project store (``--store``, ``$YKGEO_STORE``, else the demo store).
    users_path
        The users file (``--users``, ``$YKGEO_USERS``, else ``config/users.toml``).
    upload_limit_mb
        Largest file the import page accepts (``--upload-limit-mb``, ``$YKGEO_UPLOAD_LIMIT_MB``).
    tianditu_key
        天地图 key (``--tianditu-key``, ``$YKGEO_TIANDITU_KEY``); enables 天地图 basemaps.
    online_basemaps
        Online basemaps offered (``--basemaps amap,osm``, ``$YKGEO_BASEMAPS``); none by default,
        so a browser on the intranet never asks for a tile.
    sign_in
        How wrong passwords are slowed down and locked out (``--sign-in-delay-s``,
        ``--lockout-after``, ``--lockout-minutes``).
    session_hours
        How long a sign-in lasts across page refreshes (``--session-hours``).
    write_wait_s
        How long a save waits while someone else writes the store (``--write-wait-s``)
        before it says so and keeps the edit in the form.
    """

    store_path: Path
    users_path: Path
    upload_limit_mb: int = 100
    tianditu_key: str = ""
    online_basemaps: tuple[str, ...] = ()
    sign_in: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    session_hours: float = 8.0
    write_wait_s: float = 10.0

    def map_settings(self, *, basemap: str, asset_url: str, language: str = "zh") -> MapSettings:
        """Map settings for a page: the basemap chosen there, the session's language and what the bureau enabled."""
        online = tuple(b for b in self.online_basemaps if b in _ONLINE)
        if self.tianditu_key:
            online = tuple(dict.fromkeys((*online, "tianditu_vec", "tianditu_img")))
        return MapSettings(
            basemap=basemap,
            online_basemaps=online,
            tianditu_key=self.tianditu_key,
            asset_url=asset_url,
            storage_key="ykgeo-map-main",
            language=language,
        )

    def basemap_choices(self, language: str = "zh") -> dict[str, str]:
        """Basemaps the planner may choose, with their names: the offline one and the enabled online ones."""
        names = basemap_names(language)
        out = {"offline": names["offline"]}
        for key in self.map_settings(basemap="offline", asset_url="").online_basemaps:
            if key.startswith("tianditu") and not self.tianditu_key:
                continue
            out[key] = names[key]
        return out


def parse_settings(argv: Sequence[str], environ: dict[str, str] | None = None) -> AppSettings:
    """Settings from the script arguments (``streamlit run app.py -- --store X``) and environment."""
    env = dict(os.environ if environ is None else environ)
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("--store")
    parser.add_argument("--users")
    parser.add_argument("--upload-limit-mb", type=int)
    parser.add_argument("--tianditu-key")
    parser.add_argument("--basemaps")
    parser.add_argument("--sign-in-delay-s", type=float)
    parser.add_argument("--lockout-after", type=int)
    parser.add_argument("--lockout-minutes", type=float)
    parser.add_argument("--session-hours", type=float)
    parser.add_argument("--write-wait-s", type=float)
    args, _ = parser.parse_known_args(list(argv))
    try:
        store = default_store_path(args.store, environ=env)
    except StoreError:  # none named and no demo store: the sidebar says so (shell.no_store)
        store = DEMO_STORE_IN_CHECKOUT
    users = args.users or env.get("YKGEO_USERS") or str(default_users_path())
    limit = args.upload_limit_mb or int(env.get("YKGEO_UPLOAD_LIMIT_MB", "100") or 100)
    basemaps = args.basemaps if args.basemaps is not None else env.get("YKGEO_BASEMAPS", "")
    return AppSettings(
        store_path=Path(store).expanduser(),
        users_path=Path(users).expanduser(),
        upload_limit_mb=max(1, limit),
        tianditu_key=(args.tianditu_key or env.get("YKGEO_TIANDITU_KEY", "")).strip(),
        online_basemaps=tuple(b.strip() for b in basemaps.split(",") if b.strip()),
        sign_in=_policy(args),
        session_hours=max(0.1, args.session_hours or 8.0),
        write_wait_s=max(0.0, 10.0 if args.write_wait_s is None else args.write_wait_s),
    )


def _policy(args: argparse.Namespace) -> ThrottlePolicy:
    """The sign-in policy with the command line's changes to the defaults."""
    default = ThrottlePolicy()
    lockout = max(2, args.lockout_after or default.lockout_failures)
    return ThrottlePolicy(
        free_failures=min(default.free_failures, lockout - 1),
        first_delay_s=default.first_delay_s
        if args.sign_in_delay_s is None
        else args.sign_in_delay_s,
        lockout_failures=lockout,
        lockout_s=60 * (args.lockout_minutes or default.lockout_s / 60),
    )
