"""Text from the data through Markdown: every markup character becomes a character reference."""

from __future__ import annotations

import html
import re

from ykgeo.errors import StoreError
from ykgeo.ui.i18n import Markdown, Texts, literal

PAYLOAD = "![x](http://127.0.0.1:9/x.png) a_b_c *星* __粗__ <b>h</b> `c` # 1. - ~~s~~"


def test_literal_leaves_no_markup_and_decodes_to_the_text() -> None:
    shown = literal(PAYLOAD)
    assert isinstance(shown, Markdown)
    assert not set(re.sub(r"&#\d+;", "", shown)) & set("![]()*_<>`#~:&")
    assert html.unescape(shown) == PAYLOAD
    assert literal(shown) is shown  # not escaped twice


def test_messages_fill_in_data_literally_and_keep_their_own_markdown() -> None:
    t = Texts("zh")
    text = t("shell.current_user", user=PAYLOAD)
    assert text.startswith("**当前用户：** ") and "**粗" not in text
    assert html.unescape(text.removeprefix("**当前用户：** ")) == PAYLOAD
    assert (
        html.unescape(t.error(StoreError(f"图层中没有要素 {PAYLOAD}")))
        == f"图层中没有要素 {PAYLOAD}"
    )
    assert t("map.version", version=3) == Texts("zh")("map.version", version=3)
