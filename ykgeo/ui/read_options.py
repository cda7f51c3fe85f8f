"""How the import page reads a file: the planner's choice of coordinate system, text encoding and layer.

The choices map onto :func:`ykgeo.io.validate_file`'s ``crs``, ``encoding`` and ``layer``,
the same ways forward the CLI offers (``--crs``, ``--encoding``, ``--layer-name``). When a check
refuses a file for its coordinate system and the numbers look like a known one, the page offers
that one with a button, preselected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from ykgeo.crs import CRS_CHOICES_ZH
from ykgeo.ui.i18n import Texts

__all__ = ["CRS_KEY", "RECHECK_KEY", "ReadOptions", "offer_suggested_crs", "read_options"]

CRS_KEY = "ykgeo_import_crs"
_CRS_OTHER_KEY = "ykgeo_import_crs_other"
_ENCODING_KEY = "ykgeo_import_encoding"
_LAYER_KEY = "ykgeo_import_file_layer"
#: Set when the planner took a suggested coordinate system: the page checks again at once.
RECHECK_KEY = "ykgeo_import_recheck"
_AUTO = ""
_OTHER = "other"
#: Encodings offered besides "decide from the file"; anything else can be typed as "other".
_ENCODINGS = ("GBK", "UTF-8", "GB18030", "BIG5", "CP1252", "CP1250")


@dataclass(frozen=True)
class ReadOptions:
    """The planner's reading choices; ``None`` means "decide from the file"."""

    crs: str | None = None
    encoding: str | None = None
    layer: str | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`ykgeo.io.validate_file`."""
        return {"crs": self.crs, "encoding": self.encoding, "layer": self.layer}


def read_options(t: Texts, layers: list[str]) -> ReadOptions:
    """The three choices, in an expander that opens by itself when one is set or needed."""
    chosen = bool(st.session_state.get(CRS_KEY) or st.session_state.get(_ENCODING_KEY))
    with st.expander(t("import.read_options"), expanded=chosen or len(layers) > 1):
        left, middle, right = st.columns(3)
        with left:
            crs = st.selectbox(
                t("import.crs"),
                [_AUTO, *CRS_CHOICES_ZH, _OTHER],
                format_func=lambda c: _crs_label(t, c),
                key=CRS_KEY,
            )
            if crs == _OTHER:
                crs = st.text_input(t("import.crs_other"), key=_CRS_OTHER_KEY).strip()
        with middle:
            encoding = st.selectbox(
                t("import.encoding"),
                [_AUTO, *_ENCODINGS],
                format_func=lambda e: e or t("import.auto"),
                key=_ENCODING_KEY,
            )
        with right:
            layer = (
                st.selectbox(t("import.file_layer"), layers, key=_LAYER_KEY)
                if len(layers) > 1
                else None
            )
    return ReadOptions(crs or None, encoding or None, layer)


def _crs_label(t: Texts, choice: str) -> str:
    if choice == _AUTO:
        return t("import.crs_auto")
    if choice == _OTHER:
        return t("import.crs_other")
    return CRS_CHOICES_ZH.get(choice, choice)


def _take(choice: str) -> None:
    if choice in CRS_CHOICES_ZH:
        st.session_state[CRS_KEY] = choice
    else:
        st.session_state[CRS_KEY] = _OTHER
        st.session_state[_CRS_OTHER_KEY] = choice
    st.session_state[RECHECK_KEY] = True


def offer_suggested_crs(t: Texts, suggestions: tuple[str, ...]) -> None:
    """A button per likely coordinate system (best first) that selects it and checks again."""
    for i, choice in enumerate(suggestions[:3]):
        label = CRS_CHOICES_ZH.get(choice, choice)
        st.button(
            t("import.use_crs", crs=label),
            key=f"ykgeo_import_use_crs_{i}",
            type="primary" if i == 0 else "secondary",
            on_click=_take,
            args=(choice,),
        )
