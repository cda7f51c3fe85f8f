"""An embeddable Chinese font for PDF and PNG output, made from the installed Noto Sans CJK (no internet).

Debian's ``fonts-noto-cjk`` ships Noto Sans CJK as OpenType collections (``.ttc``)
with PostScript (CFF) outlines. PDF writers handle those badly: matplotlib 3.11
declares such a font as TrueType while embedding CFF data (poppler warns
"Mismatch between font type and embedded font file"), or falls back to Type 3;
reportlab refuses PostScript outlines. So this module takes the simplified-Chinese
face out of the collection, keeps only the characters a document needs, and
converts the outlines to TrueType quadratics with fontTools (already a matplotlib
dependency). The result is a small ordinary ``.ttf`` that reportlab and matplotlib
both embed as a subset with a Unicode map, so text can be searched and copied.

Subsets are cached on disk by their character set, so a report with the same
characters costs nothing the second time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ykgeo.errors import YkgeoError

__all__ = [
    "BASE_CHARACTERS",
    "CJKFont",
    "FontError",
    "FontSource",
    "cjk_font",
    "find_cjk_font",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Bump when the conversion changes, so old cached subsets are not reused.
_FORMAT_VERSION = "1"
#: Subsets kept in the cache (the oldest are removed): each is a few hundred kB.
_KEEP_SUBSETS = 40

#: Families to look for, best first: simplified-Chinese faces that cover GB 18030's common characters.
_PREFERRED_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Micro Hei",
    "SimHei",
)

#: Where distributions put the fonts when fontconfig is not available.
_KNOWN_FILES = {
    "regular": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "C:/Windows/Fonts/msyh.ttc",
        "/System/Library/Fonts/PingFang.ttc",
    ),
    "bold": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
        "C:/Windows/Fonts/msyhbd.ttc",
    ),
}

#: Characters every subset carries besides those of the document: ASCII and common Chinese punctuation.
BASE_CHARACTERS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "，。、；：？！（）《》〈〉“”‘’「」『』【】—…·％‰℃°±×÷≥≤≈≠～→←↑↓①②③④⑤⑥⑦⑧⑨⑩"
    + "一二三四五六七八九十百千万亿零〇年月日时分秒第页共至合计注示意图例比例尺北东南西镇街道"
    + "亩公顷米千平方²³km\u3000"
)

#: A few characters that must be in any usable CJK face (永康市 and 镇街).
_PROBE = "永康市镇街"

_build_lock = threading.Lock()


class FontError(YkgeoError, OSError):
    """No usable Chinese font is installed, or a font file cannot be read."""


@dataclass(frozen=True)
class FontSource:
    """One installed font face: a file and, for a collection, the face number."""

    path: Path
    index: int
    family: str


@dataclass(frozen=True)
class CJKFont:
    """A TrueType subset pair (regular, bold) made for one document's characters.

    ``name`` is unique to this subset (it is also the family name written in the
    files), so registering it with reportlab or matplotlib can never clash with
    another subset. ``missing`` holds the document characters the source font does
    not have: they would print as empty boxes, so callers replace or report them.
    """

    name: str
    regular: Path
    bold: Path
    source: FontSource
    missing: frozenset[str]
    covered: frozenset[str] = frozenset()

    def clean(self, text: str, replacement: str = "?") -> str:
        """``text`` with every character the subset has no glyph for replaced (whitespace kept).

        Such a character would print as an empty box; a ``?`` shows that something is
        missing without pretending. Characters are missing when the installed font
        lacks them (``missing``) or when they were not in the texts the subset was made for.
        """
        if not self.covered:
            return text
        return "".join(c if c in self.covered or c.isspace() else replacement for c in text)


def _cache_dir() -> Path:
    """``$YKGEO_CACHE_DIR``, else ``$XDG_CACHE_HOME/ykgeo``, else ``~/.cache/ykgeo``; a temp folder if none is writable."""
    env = os.environ.get("YKGEO_CACHE_DIR", "").strip()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    candidates = [Path(env)] if env else []
    candidates.append((Path(xdg) if xdg else Path.home() / ".cache") / "ykgeo")
    candidates.append(Path(tempfile.gettempdir()) / "ykgeo-cache")
    for folder in candidates:
        fonts = folder / "fonts"
        try:
            fonts.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(fonts, os.W_OK):
            return fonts
    msg = "没有可写的缓存目录来生成 PDF 字体（可设置环境变量 YKGEO_CACHE_DIR）"
    raise FontError(msg)


def _open_faces(path: Path) -> list[Any]:
    """The faces of a font file as lazy fontTools fonts (tables are read only when used)."""
    from fontTools.ttLib import TTCollection, TTFont

    try:
        if path.suffix.lower() in {".ttc", ".otc"}:
            return list(TTCollection(str(path), lazy=True).fonts)
        return [TTFont(str(path), lazy=True)]
    except Exception as err:
        msg = f"无法读取字体文件 {path}：{err}"
        raise FontError(msg) from err


def _pick_face(path: Path) -> FontSource | None:
    """The best face of ``path`` for simplified Chinese, or None when it has no CJK glyphs.

    Faces are ranked by family name (cheap: the name table only); the cmap is read
    only for the candidates, best first, until one has the probe characters.
    """
    faces = _open_faces(path)
    named = []
    for i, font in enumerate(faces):
        family = font["name"].getDebugName(16) or font["name"].getDebugName(1) or ""
        rank = (
            _PREFERRED_FAMILIES.index(family)
            if family in _PREFERRED_FAMILIES
            else len(_PREFERRED_FAMILIES)
        )
        named.append((rank, i, family))
    probe = {ord(c) for c in _PROBE}
    for _, i, family in sorted(named):
        cmap = faces[i].getBestCmap() or {}
        if probe <= set(cmap):
            return FontSource(path, i, family)
    return None


def _fc_match(pattern: str) -> Path | None:
    """The file fontconfig gives for ``pattern`` (None without fontconfig)."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.stdout.strip()
    return Path(text) if out.returncode == 0 and text else None


@lru_cache(maxsize=4)
def find_cjk_font(weight: str = "regular") -> FontSource:
    """The installed Chinese font face to use, for ``weight`` ``"regular"`` or ``"bold"``.

    Looks at ``$YKGEO_CJK_FONT`` (``$YKGEO_CJK_FONT_BOLD``) first, then asks
    fontconfig for the families in :data:`_PREFERRED_FAMILIES`, then known paths.
    A bold face falls back to the regular one.

    Raises
    ------
    FontError
        When no installed font has Chinese glyphs.
    """
    env = os.environ.get("YKGEO_CJK_FONT_BOLD" if weight == "bold" else "YKGEO_CJK_FONT", "")
    candidates: list[Path] = [Path(env)] if env.strip() else []
    style = ":style=Bold" if weight == "bold" else ":style=Regular"
    for family in _PREFERRED_FAMILIES[:3]:
        found = _fc_match(family + style)
        if found is not None:
            candidates.append(found)
    candidates += [Path(p) for p in _KNOWN_FILES.get(weight, ())]
    seen: set[Path] = set()
    for path in candidates:
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        face = _pick_face(path)
        if face is not None:
            if weight == "bold" and "bold" not in path.name.lower() and path != Path(env):
                continue  # fontconfig answered with a regular face: use the regular fallback below
            return face
    if weight == "bold":
        return find_cjk_font("regular")
    msg = (
        "找不到中文字体，无法生成 PDF：请安装 Debian 软件包 fonts-noto-cjk"
        "（apt-get install fonts-noto-cjk），或设置环境变量 YKGEO_CJK_FONT 指向中文字体文件（.ttc/.otf/.ttf）"
    )
    raise FontError(msg, message_en="no CJK font installed (install fonts-noto-cjk)")


def _characters(texts: Iterable[str]) -> str:
    """The sorted set of printable characters of ``texts`` plus :data:`BASE_CHARACTERS`."""
    chars = set(BASE_CHARACTERS)
    for text in texts:
        chars.update(text)
    keep = (c for c in chars if unicodedata.category(c)[0] not in "C" and c not in "\n\r\t")
    return "".join(sorted(keep))


def _to_truetype(font: object) -> None:
    """Replace the CFF outlines of a fontTools ``TTFont`` with TrueType quadratics, in place."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    assert isinstance(font, TTFont)
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        # 1 font unit of error in a 1000-unit em: invisible at any print size
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    for tag in ("CFF ", "CFF2", "VORG"):
        if tag in font:
            del font[tag]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        advance, _ = hmtx[name]
        hmtx[name] = (advance, getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def _rename(font: object, family: str, style: str) -> None:
    """Give the subset its own family name, so it never clashes with the installed font."""
    from fontTools.ttLib import TTFont

    assert isinstance(font, TTFont)
    table = font["name"]
    ps = family.replace(" ", "") + "-" + style
    for name_id in (16, 17, 21, 22):
        table.removeNames(nameID=name_id)
    for name_id, value in ((1, family), (2, style), (3, ps), (4, f"{family} {style}"), (6, ps)):
        table.setName(value, name_id, 3, 1, 0x409)
        table.setName(value, name_id, 1, 0, 0)


def _build_subset(source: FontSource, chars: str, family: str, style: str, out: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(source.path), fontNumber=source.index, lazy=False)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    if "CFF " in font or "CFF2" in font:
        _to_truetype(font)
    for tag in ("vhea", "vmtx", "DSIG", "BASE", "GDEF", "GPOS", "GSUB"):
        if tag in font:
            del font[tag]
    os2 = font["OS/2"]
    if os2.fsType & 0x0002:  # restricted licence: refuse, never embed silently
        msg = f"字体 {source.family} 的许可不允许嵌入 PDF，请改用 fonts-noto-cjk"
        raise FontError(msg)
    _rename(font, family, style)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    font.save(str(tmp))
    tmp.replace(out)


def cjk_font(texts: Iterable[str], *, cache_dir: Path | None = None) -> CJKFont:
    """A TrueType subset (regular and bold) of the installed Chinese font with every character of ``texts``.

    Parameters
    ----------
    texts
        All text the document will show (plus :data:`BASE_CHARACTERS`, always added).
    cache_dir
        Where the subsets are kept (default: see :func:`_cache_dir`).

    Raises
    ------
    FontError
        No Chinese font installed, or it cannot be read.
    """
    regular_src = find_cjk_font("regular")
    bold_src = find_cjk_font("bold")
    chars = _characters(texts)
    covered = _face_cmap(regular_src)
    missing = frozenset(c for c in chars if ord(c) not in covered and not c.isspace())
    chars = "".join(c for c in chars if c not in missing)
    key = hashlib.sha256(
        "\0".join(
            [
                _FORMAT_VERSION,
                _signature(regular_src),
                _signature(bold_src),
                chars,
            ]
        ).encode("utf-8")
    ).hexdigest()[:16]
    name = f"YKGeo CJK {key}"
    folder = cache_dir or _cache_dir()
    regular = folder / f"ykgeo-cjk-{key}-regular.ttf"
    bold = folder / f"ykgeo-cjk-{key}-bold.ttf"
    with _build_lock:
        if not regular.exists() or not bold.exists():
            logger.info("building CJK font subset %s (%d characters)", key, len(chars))
            _build_subset(regular_src, chars, name, "Regular", regular)
            _build_subset(bold_src, chars, name, "Bold", bold)
            _prune(folder, keep=_KEEP_SUBSETS)
        else:  # used again: keep it among the recent ones
            for path in (regular, bold):
                os.utime(path)
    return CJKFont(name, regular, bold, regular_src, missing, frozenset(chars))


def _prune(folder: Path, *, keep: int) -> None:
    """Remove all but the ``keep`` most recent subsets from the cache."""
    regulars = sorted(
        folder.glob("ykgeo-cjk-*-regular.ttf"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in regulars[keep:]:
        for path in (old, old.with_name(old.name.replace("-regular.ttf", "-bold.ttf"))):
            path.unlink(missing_ok=True)


def _signature(source: FontSource) -> str:
    stat = source.path.stat()
    return f"{source.path}|{source.index}|{stat.st_size}|{stat.st_mtime_ns}"


@lru_cache(maxsize=4)
def _face_cmap_cached(signature: str, path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    return frozenset(font.getBestCmap() or {})


def _face_cmap(source: FontSource) -> frozenset[int]:
    return _face_cmap_cached(_signature(source), str(source.path), source.index)
