"""The app's words in 简体中文 and English, by message id; Chinese is the default and the source of truth.

Only the app's own chrome is here: page titles, labels, buttons, messages. Data values,
field names and the names of targets stay as they are; layer names come from the layer
definitions (``LayerSpec.name_en`` in English). The language is chosen per session in the
sidebar and kept in ``st.session_state``; nothing here changes at run time. The tables are
in :mod:`~ykgeo.ui.i18n.messages` and :mod:`~ykgeo.ui.i18n.plan` (the 计划 page); this module
picks a session's words from them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import streamlit as st

from ykgeo.errors import YkgeoError
from ykgeo.layers import LayerSpec
from ykgeo.store import DataVersion
from ykgeo.ui.i18n.messages import MESSAGES

__all__ = [
    "LANGUAGES",
    "LANGUAGE_KEY",
    "MESSAGES",
    "Markdown",
    "Texts",
    "language_switch",
    "literal",
    "session_texts",
]

#: The languages of the interface, by code, as the switch shows them.
LANGUAGES: Mapping[str, str] = MappingProxyType({"zh": "中文", "en": "English"})
#: ``st.session_state`` key of the language switch.
LANGUAGE_KEY = "ykgeo_language"

_FIELDS = string.Formatter()
#: Themes of the layers in English.
_THEMES_EN: Mapping[str, str] = MappingProxyType(
    {
        "土地": "Land",
        "水利": "Water",
        "交通": "Transport",
        "城市更新": "Urban renewal",
        "生态与民生": "Ecology and public services",
        "参考": "Reference",
    }
)
#: Units of the targets in English (a count needs no word: "3 / 5").
_UNITS_EN: Mapping[str, str] = MappingProxyType(
    {
        "亩": "mu",
        "个": "",
        "座": "",
        "条": "",
        "处": "",
        "项": "",
        "所": "",
        "套": "homes",
        "公顷": "ha",
    }
)
#: Characters Markdown (and the HTML it allows) could read as markup; ``:`` stops autolinks.
_MARKUP = frozenset("\\`*_{}[]()#+-.!|<>~&$:=\"'")


class Markdown(str):
    """Text that is safe to show through Markdown: the app's own messages, or data passed through :func:`literal`."""

    __slots__ = ()


def literal(text: object) -> Markdown:
    """``text`` (from the data or a user) shown through Markdown exactly as it is, never as markup.

    Every character Markdown or HTML could act on becomes a character reference, which
    Markdown shows as the character itself: ``![x](http://…)`` stays those characters
    (no image is fetched), ``_``, ``*`` and ``__`` stay in the text.
    """
    if isinstance(text, Markdown):
        return text
    return Markdown("".join(f"&#{ord(ch)};" if ch in _MARKUP else ch for ch in str(text)))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in _FIELDS.parse(template) if name}


@dataclass(frozen=True)
class Texts:
    """The words of one session's interface: ``texts("map.title")`` → 项目地图 or Project map."""

    language: str = "zh"

    @property
    def english(self) -> bool:
        """Whether the interface is in English."""
        return self.language == "en"

    def __call__(self, message_id: str, /, **values: Any) -> Markdown:
        """The message in this language, its ``{fields}`` filled with ``values`` shown literally.

        The message is Markdown (the app's own); every value filled in is data and is
        passed through :func:`literal`, unless it is :class:`Markdown` already. The
        result goes to any Streamlit element that renders Markdown.
        """
        zh, en = MESSAGES[message_id]
        template = en if self.english and en else zh
        if not values:
            return Markdown(template)
        safe = {
            k: v if isinstance(v, Markdown | int | float) else literal(v) for k, v in values.items()
        }
        return Markdown(template.format(**safe))

    def unit(self, unit: str) -> str:
        """A unit of a target in this language (亩 → mu in English; counts need no word)."""
        return _UNITS_EN.get(unit, unit) if self.english else unit

    def data_version(self, version: DataVersion) -> str:
        """A data version as reports show it: 数据版本 v123（…） or data version v123 (…)."""
        if not self.english:
            return version.label_zh()
        return f"data version v{version.log_id} ({version.recorded_at or 'empty store'})"

    def theme(self, theme: str) -> str:
        """A layer theme (土地, 水利 …) in this language."""
        return _THEMES_EN.get(theme, theme) if self.english else theme

    def layer(self, spec: LayerSpec) -> str:
        """A layer's name: ``name_en`` in English when the definition has one, else ``name_zh``."""
        return spec.name_en if self.english and spec.name_en else spec.name_zh

    def error(self, err: YkgeoError) -> Markdown:
        """An error of ykgeo in this language (its English message, when it has one), shown literally."""
        return literal(err.message_en if self.english and err.message_en else err.message_zh)


def session_texts() -> Texts:
    """The texts of this session's language (Chinese until the sidebar switch says otherwise)."""
    value = st.session_state.get(LANGUAGE_KEY, "zh")
    return Texts(value if value in LANGUAGES else "zh")


def _keep_choices() -> None:
    """On a language switch: hand every choice of the session back to its widget, relabelled.

    A select box shows its options through ``format_func``, which now speaks the other
    language, while the browser still holds the old labels. Read here, before the page
    runs, each value is still the one the planner chose; writing it back makes Streamlit
    send it to the widget again, under the new labels, instead of losing it.
    """
    for key in list(st.session_state.keys()):
        if not isinstance(key, str) or not key.startswith("ykgeo_") or key == LANGUAGE_KEY:
            continue
        value = st.session_state[key]
        if isinstance(value, str | list | tuple):
            st.session_state[key] = value


def language_switch() -> Texts:
    """Draw the sidebar's 中文/English switch and return the texts of the language chosen."""
    if st.session_state.get(LANGUAGE_KEY) not in LANGUAGES:
        st.session_state[LANGUAGE_KEY] = "zh"
    st.sidebar.radio(
        MESSAGES["shell.language"][0],
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=LANGUAGE_KEY,
        horizontal=True,
        on_change=_keep_choices,
    )
    return session_texts()


def missing_placeholders() -> dict[str, tuple[set[str], set[str]]]:
    """Messages whose Chinese and English placeholders differ (for the tests; should be empty)."""
    out = {}
    for key, (zh, en) in MESSAGES.items():
        if _fields(zh) != _fields(en) or not zh or not en:
            out[key] = (_fields(zh), _fields(en))
    return out
