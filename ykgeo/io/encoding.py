"""Text in Chinese GIS files: encodings (.cpg, DBF language byte, raw bytes, mojibake) and typed values."""

from __future__ import annotations

import codecs
import datetime as dt
import logging
import math
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from ykgeo.errors import EncodingError

__all__ = [
    "CPG_TO_ENCODING",
    "DBF_NAME_BYTES",
    "DBF_TEXT_BYTES",
    "LDID_TO_ENCODING",
    "DbfText",
    "EncodingGuess",
    "Mojibake",
    "coerce_field_value",
    "dbf_field_names",
    "decode_text_file",
    "encoding_from_cpg",
    "find_mojibake",
    "fit_bytes",
    "fits_bytes",
    "guess_encoding",
    "has_cjk",
    "is_missing",
    "normalise_name",
    "parse_coordinate",
    "printable",
    "read_dbf_text",
    "redecode_latin1",
    "shapefile_encoding",
    "sidecar",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: What a ``.cpg`` sidecar says (upper-cased, stripped) → the encoding to read with.
#: ``None`` means the sidecar says nothing useful (``ANSI`` is the code page of
#: whichever Windows machine wrote the file).
CPG_TO_ENCODING: dict[str, str | None] = {
    "GBK": "GBK",
    "936": "GBK",
    "CP936": "GBK",
    "MS936": "GBK",
    "WINDOWS-936": "GBK",
    "GB2312": "GBK",
    "GB18030": "GB18030",
    "54936": "GB18030",
    "UTF-8": "UTF-8",
    "UTF8": "UTF-8",
    "65001": "UTF-8",
    "ANSI": None,
    "OEM": None,
    "": None,
}

#: DBF language driver id (byte 29 of the header) → encoding, for the Chinese code pages.
LDID_TO_ENCODING: dict[int, str] = {0x4D: "GBK", 0x7A: "GBK"}

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DBF_HEADER = struct.Struct("<BBBBIHH")
_DBF_TEXT_TYPES = {b"C"}


def has_cjk(text: str) -> bool:
    """True when ``text`` contains a Chinese (CJK unified) character."""
    return _CJK.search(text) is not None


#: A Windows code page as .cpg files spell it: ``ANSI 1250``, ``1250``, ``CP 936``, ``Windows-1252`` …
_CODE_PAGE = re.compile(r"^(?:ANSI|OEM|CP|WINDOWS|MS|IBM)?[\s_-]*(\d{3,5})$")


def encoding_from_cpg(text: str) -> str | None:
    """The encoding a ``.cpg`` sidecar declares, or None when it declares nothing usable (``ANSI``).

    Understands the spellings found in the wild: encoding names (``UTF-8``, ``UTF8``, ``GBK``,
    ``GB2312``), bare code pages (``936``, ``65001``, ``1250``) and code pages after a word
    (``ANSI 1250``, ``ANSI 936``, ``CP 936``, ``Windows-1252``).
    """
    label = text.strip().strip("\ufeff").upper()
    if label in CPG_TO_ENCODING:
        return CPG_TO_ENCODING[label]
    page = _CODE_PAGE.match(label)
    if page is not None:
        label = page[1]
        if label in CPG_TO_ENCODING:
            return CPG_TO_ENCODING[label]
    candidates = (label, f"CP{label}") if label.isdigit() else (label,)
    for candidate in candidates:
        try:
            return codecs.lookup(candidate).name.upper()
        except LookupError:
            continue
    return None


@dataclass(frozen=True)
class DbfText:
    """The raw bytes of a DBF's text: its language byte, field names and non-ASCII string values."""

    ldid: int
    samples: tuple[bytes, ...]
    truncated: bool = False


def read_dbf_text(data: bytes, *, max_records: int = 5000) -> DbfText:
    """Collect the non-ASCII bytes of field names and character fields of a dBASE file.

    GDAL decodes text before handing it over, so the bytes needed to decide
    between GBK and UTF-8 are read here from the documented dBASE III layout
    (32-byte header, 32-byte field descriptors ended by 0x0D, fixed-width records).

    Raises
    ------
    EncodingError
        When the header is not a dBASE header.
    """
    if len(data) < 33:
        msg = "属性表（.dbf）文件过短，不是有效的 dBASE 文件"
        raise EncodingError(msg)
    _version, _y, _m, _d, n_records, header_len, record_len = _DBF_HEADER.unpack_from(data, 0)
    ldid = data[29]
    samples: list[bytes] = []
    fields: list[tuple[int, int]] = []  # (offset in record, width) of text fields
    offset = 1  # deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        descriptor = data[pos : pos + 32]
        name = descriptor[:11].split(b"\x00", 1)[0]
        width = descriptor[16]
        if not name.isascii():
            samples.append(name)
        if descriptor[11:12] in _DBF_TEXT_TYPES:
            fields.append((offset, width))
        offset += width
        pos += 32
    if record_len <= 0:
        return DbfText(ldid, tuple(samples))
    available = max(0, (len(data) - header_len) // record_len)
    count = min(n_records, available, max_records)
    for i in range(count):
        start = header_len + i * record_len
        for field_offset, width in fields:
            raw = data[start + field_offset : start + field_offset + width].rstrip(b" \x00")
            if raw and not raw.isascii():
                samples.append(raw)
    return DbfText(ldid, tuple(samples), truncated=available < n_records)


@dataclass(frozen=True)
class EncodingGuess:
    """An encoding decided from raw bytes, and why (Chinese, for the planner)."""

    encoding: str
    reason_zh: str


def _decodes(samples: Sequence[bytes], encoding: str) -> bool:
    """True when every sample decodes; a multi-byte character cut off at the end is allowed
    (fixed-width DBF names and values are often cut mid-character by the writer)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)
        for s in samples:
            decoder().decode(s, final=False)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def guess_encoding(samples: Sequence[bytes]) -> EncodingGuess:
    """Decide between UTF-8 and GBK/GB18030 from raw text bytes.

    Valid UTF-8 is taken as UTF-8 (Chinese text in GBK is practically never
    valid UTF-8); otherwise text that decodes as GBK is GBK, and as GB18030 is
    GB18030. Pure ASCII is read as UTF-8.

    Raises
    ------
    EncodingError
        When the bytes are neither UTF-8 nor GB18030.
    """
    non_ascii = [s for s in samples if not s.isascii()]
    if not non_ascii:
        return EncodingGuess("UTF-8", "文字均为 ASCII 字符，按 UTF-8 读取")
    if _decodes(non_ascii, "utf-8"):
        chinese = any(has_cjk(s.decode("utf-8", "ignore")) for s in non_ascii)
        what = "含中文的有效 UTF-8" if chinese else "有效的 UTF-8"
        return EncodingGuess("UTF-8", f"根据内容判断为 UTF-8 编码（{what}）")
    if _decodes(non_ascii, "gbk"):
        return EncodingGuess("GBK", "根据内容判断为 GBK 编码（不是有效的 UTF-8，可按 GBK 解码）")
    if _decodes(non_ascii, "gb18030"):
        return EncodingGuess("GB18030", "根据内容判断为 GB18030 编码（不是有效的 UTF-8 或 GBK）")
    msg = (
        "文字内容既不是 UTF-8 也不是 GBK/GB18030 编码，无法判断文字编码；请指定编码："
        "命令行 --encoding（如 GBK、UTF-8、CP1250），导入页面“文字编码”"
    )
    raise EncodingError(msg)


@dataclass(frozen=True)
class Mojibake:
    """Text that looks garbled, what probably happened and the encoding to retry with."""

    kind_zh: str
    retry_encoding: str
    example: str


def _signature(text: str) -> tuple[str, str, str] | None:
    """(what happened, encoding to retry with, what the text should have been) for garbled text."""
    if "\ufffd" in text or "锟斤拷" in text:
        return "GBK 文字被按 UTF-8 读取（出现“�”或“锟斤拷”）", "GBK", ""
    if not has_cjk(text) and any("\x80" <= ch <= "\xff" for ch in text):
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            return None
        # GB2312 rather than GBK: GBK's second byte may be ASCII, so one accented letter
        # before a plain letter ("château") would decode to a rare CJK character.
        for encoding, kind in (("utf-8", "UTF-8"), ("gb2312", "GBK")):
            try:
                decoded = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if has_cjk(decoded):
                return f"{kind} 文字被按 Latin-1 读取", kind, decoded
        return None
    if has_cjk(text):
        try:  # the last character is often cut (an odd byte count cannot be GBK)
            raw = text.encode("gbk")
            decoded = codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)
        except (UnicodeEncodeError, UnicodeDecodeError):
            return None
        if has_cjk(decoded) and decoded != text:
            return "UTF-8 文字被按 GBK 读取", "UTF-8", decoded
    return None


def find_mojibake(texts: Iterable[str], *, limit: int = 2000) -> Mojibake | None:
    """Look for the garbling signatures of Chinese text read with the wrong encoding.

    Returns the most common signature when it covers at least 80 % of the
    non-ASCII texts examined (so one odd value does not trigger a re-read).
    """
    counts: dict[tuple[str, str], int] = {}
    examples: dict[tuple[str, str], tuple[str, str]] = {}
    examined = 0
    for text in texts:
        if text.isascii():
            continue
        examined += 1
        found = _signature(text)
        if found is not None:
            kind, retry, decoded = found
            counts[kind, retry] = counts.get((kind, retry), 0) + 1
            examples.setdefault((kind, retry), (text, decoded))
        if examined >= limit:
            break
    if not counts:
        return None
    best = max(counts, key=lambda k: counts[k])
    if counts[best] < 0.8 * examined:
        return None
    garbled, decoded = examples[best]
    example = f"如“{printable(garbled, 12)}”" + (
        f"应为“{printable(decoded, 12)}”" if decoded else ""
    )
    return Mojibake(f"{best[0]}，{example}", best[1], printable(garbled, 40))


def redecode_latin1(text: str, encoding: str) -> str:
    """Text read as Latin-1 (one character per byte) decoded with its real encoding.

    A multi-byte character cut off at the end is dropped; invalid bytes inside become "�".
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(text.encode("latin-1"), final=False)


def printable(text: str, limit: int = 50) -> str:
    """``text`` made safe to quote in a message: control characters escaped, cut to ``limit`` characters.

    The text is never interpreted (no HTML, no format codes); a renderer must
    still escape it for its own medium.
    """
    if len(text) <= limit and text.isprintable():  # the usual case: nothing to escape or cut
        return text
    shown = text[:limit]
    escaped = "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in shown
    )
    return escaped + (f"…（共 {len(text)} 字）" if len(text) > limit else "")


# --- Shapefile .dbf encoding ---------------------------------------------------------------------


def sidecar(shp: Path, ext: str) -> Path | None:
    """The sidecar file of a Shapefile with extension ``ext`` (either case), if present."""
    for candidate in (shp.with_suffix(ext.lower()), shp.with_suffix(ext.upper())):
        if candidate.exists():
            return candidate
    return None


def _dbf_head(dbf: Path, max_records: int = 5000) -> bytes:
    with dbf.open("rb") as fh:
        head = fh.read(32)
        if len(head) < 12:
            return head
        header_len = int.from_bytes(head[8:10], "little")
        record_len = int.from_bytes(head[10:12], "little")
        fh.seek(0)
        return fh.read(header_len + record_len * max_records)


def shapefile_encoding(shp: Path, requested: str | None = None) -> EncodingGuess:
    """The encoding of a Shapefile's .dbf, and a sentence saying how it was decided.

    Order: an explicit ``requested`` encoding; a ``.cpg`` naming an encoding the
    bytes really are in; the DBF language byte (LDID) for the Chinese code page;
    finally the bytes of field names and text values (:func:`guess_encoding`).

    Raises
    ------
    EncodingError
        When the .dbf is not a dBASE file or its text fits no plausible encoding.
    """
    if requested:
        return EncodingGuess(requested.upper(), f"按指定的 {requested} 编码读取属性表")
    dbf = sidecar(shp, ".dbf")
    text = read_dbf_text(_dbf_head(dbf)) if dbf is not None else DbfText(0, ())
    cpg = sidecar(shp, ".cpg")
    prefix = "未找到 .cpg 编码文件，"
    if cpg is not None:
        label = cpg.read_bytes()[:40].decode("ascii", "replace").strip()
        declared = encoding_from_cpg(label)
        if declared is not None and _decodes(text.samples, declared):
            return EncodingGuess(declared, f"根据 .cpg 文件，按 {declared} 编码读取")
        prefix = (
            f".cpg 文件内容为“{printable(label, 20)}”，不能说明编码，"
            if declared is None
            else f".cpg 声明 {declared}，但属性内容不是有效的 {declared}，"
        )
    if text.ldid in LDID_TO_ENCODING:
        encoding = LDID_TO_ENCODING[text.ldid]
        reason = f"{prefix}根据 .dbf 语言标志（LDID 0x{text.ldid:02X}）按 {encoding} 编码读取"
        return EncodingGuess(encoding, reason)
    guess = guess_encoding(text.samples)
    return EncodingGuess(guess.encoding, prefix + guess.reason_zh)


# --- values typed as text: names, coordinates, dates and numbers ----------------------------------


def normalise_name(name: object) -> str:
    """A column name for matching: full-width → half-width (（）→ ()), case-folded, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name))).casefold()


def _clean_number_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().replace(",", "").replace(" ", "")


_DMS = re.compile(
    r"^(\d+(?:\.\d+)?)[°度]\s*(?:(\d+(?:\.\d+)?)[′'分]\s*)?"
    r"(?:(\d+(?:\.\d+)?)(?:″|′′|\"|''|秒)?)?\s*([EWNS东西南北]?)$"
)


def parse_coordinate(value: object) -> float:
    """A coordinate from a table cell: a number, ``"40,500,123.4"`` or ``120°2′30″E``; NaN when unreadable."""
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        return float(value)
    text = _clean_number_text(str(value if value is not None else ""))
    try:
        return float(text)
    except ValueError:
        pass
    match = _DMS.match(text)
    if match is None:
        return float("nan")
    deg, minutes, seconds, hemi = match.groups()
    sign = -1.0 if hemi in ("W", "S", "西", "南") else 1.0
    return sign * (float(deg) + float(minutes or 0) / 60 + float(seconds or 0) / 3600)


def is_missing(value: object) -> bool:
    """None, NaN, NaT, pandas NA or a blank string."""
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.api.types.is_scalar(value) and pd.isna(cast(Any, value)))


_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date_from_number(number: float) -> dt.date | None:
    if not math.isfinite(number):
        return None
    if number.is_integer() and 19000101 <= number <= 21001231:
        text = str(int(number))
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if 20000 <= number <= 80000:  # an Excel serial day number (1954–2119)
        return _EXCEL_EPOCH + dt.timedelta(days=int(number))
    return None


def _parse_date(value: object) -> dt.date | None:
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    try:
        if isinstance(value, int | float | np.number) and not isinstance(value, bool):
            return _date_from_number(float(value))
        if not isinstance(value, str):
            return None
        text = unicodedata.normalize("NFKC", value).strip()
        if text.isdigit() and len(text) in (5, 8):
            return _date_from_number(float(text))
        match = _DATE_TEXT.match(text)
        if match is None:
            return None
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except (ValueError, OverflowError):
        return None


def _parse_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.number):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(_clean_number_text(value))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _parse_int(value: object) -> int | None:
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    number = _parse_float(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


_PARSERS: dict[str, Any] = {
    "str": _as_text,
    "int": _parse_int,
    "float": _parse_float,
    "date": _parse_date,
}


def coerce_field_value(value: object, field_type: str) -> tuple[bool, Any]:
    """Convert one cell to a layer field's type.

    Returns ``(True, parsed)`` — ``parsed`` is ``None`` for an empty cell — or
    ``(False, value)`` with the raw value untouched when it cannot be converted.
    Dates accept ``2022-05-01``, ``2022/5/1``, ``2022.5.1``, ``2022年5月1日``,
    ``20220501``, Excel serial days and date/datetime objects; numbers accept
    thousands separators and full-width digits.
    """
    if is_missing(value):
        return True, None
    parsed = _PARSERS[field_type](value)
    if parsed is None:
        return False, value
    return True, parsed


def decode_text_file(raw: bytes, requested: str | None = None) -> tuple[str, EncodingGuess]:
    """Decode a text file (CSV): a requested encoding, a UTF-8 BOM, or the bytes themselves.

    Raises
    ------
    EncodingError
        When the bytes fit no plausible encoding (or not the requested one).
    """
    if requested:
        guess = EncodingGuess(requested.upper(), f"按指定的 {requested} 编码读取")
    elif raw.startswith(codecs.BOM_UTF8):
        raw, guess = raw[3:], EncodingGuess("UTF-8", "文件带 UTF-8 标记（BOM），按 UTF-8 读取")
    else:
        guess = guess_encoding([raw])
    try:
        return raw.decode(guess.encoding), guess
    except (UnicodeDecodeError, LookupError) as err:
        msg = f"无法按 {guess.encoding} 编码读取：{err}"
        raise EncodingError(msg) from err


# --- the 10-byte field names and 254-byte text of a .dbf ---------------------------------------------

DBF_NAME_BYTES = 10
DBF_TEXT_BYTES = 254


def fits_bytes(text: str, limit: int, encoding: str) -> bool:
    """True when ``text`` encodes in ``encoding`` within ``limit`` bytes."""
    try:
        return len(text.encode(encoding)) <= limit
    except UnicodeEncodeError:
        return False


def fit_bytes(text: str, limit: int, encoding: str) -> str:
    """The longest prefix of ``text`` within ``limit`` bytes, skipping characters ``encoding`` lacks."""
    out = ""
    for ch in text:
        if not fits_bytes(ch, limit, encoding):
            continue
        if not fits_bytes(out + ch, limit, encoding):
            break
        out += ch
    return out


def dbf_field_names(names: Sequence[str], encoding: str) -> dict[str, str]:
    """Full field name → a unique (case-insensitively) DBF name of at most 10 bytes in ``encoding``.

    Names that fit stay; others keep their letters, digits, CJK and ``_`` cut
    at a character boundary (3 Chinese characters in UTF-8, 5 in GBK), with
    ``_1``, ``_2`` … appended on a clash.
    """
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for name in names:
        short = name
        if not fits_bytes(name, DBF_NAME_BYTES, encoding) or name.casefold() in used:
            base = "".join(ch for ch in name if ch.isalnum() or ch == "_") or "field"
            short, n = fit_bytes(base, DBF_NAME_BYTES, encoding), 1
            while not short or short.casefold() in used:
                suffix = f"_{n}"
                short, n = fit_bytes(base, DBF_NAME_BYTES - len(suffix), encoding) + suffix, n + 1
        used.add(short.casefold())
        mapping[name] = short
    return mapping
