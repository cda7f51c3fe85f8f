"""Road chainage (桩号) such as ``K12+300``: parse, format, and measure along a line honouring 断链 station equations.

A station ``K12+300`` is 12 300 m along the design centreline from the origin
``K0+000``; decimals are allowed (``K7+814.19``). A prefix before ``K`` names the
line: ``ZK`` / ``YK`` are the left / right lines of a divided highway, other letters
(``AK``, ``BK`` …) ramps. Negative stations (before the origin) are written
``K0-100`` (= −100 m); a sign in front (``-K0+100``) means the same.

A 断链 (chain equation) ``K1+100=K1+080`` says that the station numbering jumps at
that point: the stations up to ``K1+100`` are measured from the origin, the ones
after it restart at ``K1+080``. Here the numbers step back by 20 m (长链: the
road is 20 m longer than the difference of its station numbers, and stations
``K1+080``…``K1+100`` exist twice); when they step forward (``K1+100=K1+150``,
短链) the road is shorter and the stations in the gap do not exist.
:class:`ChainageLine` turns stations into true distances along the line so
that lengths between any two stations are right whatever equations lie between.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ykgeo.errors import DataError

__all__ = [
    "ChainEquation",
    "Chainage",
    "ChainageLine",
    "format_chainage",
    "parse_chainage",
    "parse_equation",
    "parse_equations",
    "parse_section",
    "section_length_km",
    "section_length_m",
]

_MINUS = "-−–—－"
_SIGNS = re.escape("+" + _MINUS)
_STATION = re.compile(
    rf"""^\s*(?P<sign>[{_SIGNS}])?\s*
    (?P<line>[A-Z]{{0,3}}?)K\s*(?P<km>\d+)\s*
    (?P<op>[{_SIGNS}])\s*(?P<m>\d+(?:\.\d+)?)\s*(?:M|米)?\s*$""",
    re.VERBOSE,
)
_EQUATION_SPLIT = re.compile(r"[=＝]")
_NOTE = re.compile(r"(?P<kind>长链|短链)\s*(?P<amount>\d+(?:\.\d+)?)\s*(?:m|M|米)?")
_LIST_SPLIT = re.compile(r"[;；,，、\n]+")
_RANGE_SPLIT = re.compile(
    rf"\s*(?:~|～|〜|至|到|—{{1,2}}|–|-)\s*(?=[{re.escape(_MINUS)}]?\s*[A-Z]{{0,3}}K)"
)
#: Tolerance for comparing stations and stated chain amounts (metres).
_EPS = 1e-6


@dataclass(frozen=True, order=True)
class Chainage:
    """A station: ``metres`` from the origin of line ``line`` (``K``, ``ZK``, ``YK`` …)."""

    metres: float
    line: str = "K"

    @property
    def km(self) -> float:
        """The station in km (may be negative)."""
        return self.metres / 1000.0

    def __str__(self) -> str:
        return format_chainage(self.metres, line=self.line)


def _normalise(text: str) -> str:
    # NFKC folds full-width letters, digits and ＋ (Ｋ１２＋３００ → K12+300); keep − as is.
    return unicodedata.normalize("NFKC", text).strip().upper()


def parse_chainage(value: str | float | Chainage, *, line: str = "K") -> Chainage:
    """Parse a station such as ``K12+300``, ``ZK3+020.5``, ``K0-100`` or ``Ｋ１２＋３００``.

    Parameters
    ----------
    value
        The station text; a number is taken as metres on ``line``; a
        :class:`Chainage` is returned as is.
    line
        The line a bare number belongs to.

    Raises
    ------
    DataError
        Text that is not a station, or metres of 1000 or more after the ``+``.
    """
    if isinstance(value, Chainage):
        return value
    if isinstance(value, bool):
        msg = f"桩号不能是布尔值：{value!r}"
        raise DataError(msg)
    if isinstance(value, int | float):
        if not math.isfinite(value):
            msg = f"桩号不是有限数值：{value!r}"
            raise DataError(msg)
        return Chainage(float(value), line)
    text = _normalise(str(value))
    match = _STATION.match(text)
    if match is None:
        msg = f"无法识别的桩号：{value!r}（应形如 K12+300、ZK3+020.5、K0-100）"
        raise DataError(msg, message_en=f"not a chainage: {value!r}")
    if float(match["m"]) >= 1000.0:
        msg = f"桩号 {value!r} 的米数 {match['m']} 应小于 1000（千米数写在 K 后）"
        raise DataError(msg)
    negative_op = match["op"] in _MINUS
    negative_sign = match["sign"] is not None and match["sign"] in _MINUS
    if negative_op and negative_sign:
        msg = f"桩号 {value!r} 的负号重复"
        raise DataError(msg)
    total = float(
        Decimal(match["km"]) * 1000 + Decimal(match["m"])
    )  # 7814.19, not 7814.1900000000005
    return Chainage(-total if (negative_op or negative_sign) else total, f"{match['line']}K")


def format_chainage(metres: float, *, line: str = "K", decimals: int | None = None) -> str:
    """Format metres as a station: 12300 → ``K12+300``, 7814.19 → ``K7+814.19``, −100 → ``K0-100``.

    ``decimals=None`` shows the metres without decimals when they are whole and
    with up to three decimals otherwise.
    """
    if not math.isfinite(metres):
        msg = f"桩号不是有限数值：{metres!r}"
        raise DataError(msg)
    if decimals is None:
        rounded3 = round(abs(metres), 3)
        text3 = f"{rounded3:.3f}".rstrip("0").rstrip(".")
        decimals = len(text3.split(".")[1]) if "." in text3 else 0
    value = round(abs(metres), decimals)
    km = int(value // 1000)
    rest = value - km * 1000
    if round(rest, decimals) >= 1000:  # 999.9996 shown with 3 decimals
        km, rest = km + 1, 0.0
    width = 3 if decimals == 0 else 4 + decimals
    sign = "-" if metres < 0 and value > 0 else "+"
    return f"{line}{km}{sign}{rest:0{width}.{decimals}f}"


@dataclass(frozen=True)
class ChainEquation:
    """A 断链 station equation: ``back`` (the last station before the break) = ``ahead`` (the numbering after it)."""

    back: Chainage
    ahead: Chainage

    @property
    def long_chain_m(self) -> float:
        """Metres by which the road is longer than its station numbers say (长链 > 0, 短链 < 0)."""
        return self.back.metres - self.ahead.metres

    @property
    def kind_zh(self) -> str:
        """长链, 短链 or 无断链 (equal stations)."""
        diff = self.long_chain_m
        return "长链" if diff > _EPS else "短链" if diff < -_EPS else "无断链"

    def __str__(self) -> str:
        return f"{self.back}={self.ahead}（{self.kind_zh} {abs(self.long_chain_m):g} m）"


def parse_equation(text: str) -> ChainEquation:
    """Parse ``K1+100=K1+080`` (optionally followed by ``长链20m`` / ``（短链 50 米）``, which is checked)."""
    raw = str(text)
    parts = _EQUATION_SPLIT.split(raw)
    if len(parts) != 2:
        msg = f"无法识别的断链：{raw!r}（应形如 K1+100=K1+080）"
        raise DataError(msg)
    left, right = parts
    note = _NOTE.search(right)
    if note is not None:
        right = right[: note.start()]
    right = right.strip().strip("（()） ")
    back = parse_chainage(left)
    ahead = parse_chainage(right)
    if back.line != ahead.line:
        msg = f"断链 {raw!r} 两侧的线路不同（{back.line} 与 {ahead.line}）"
        raise DataError(msg)
    equation = ChainEquation(back, ahead)
    if note is not None:
        stated = float(note["amount"]) * (1 if note["kind"] == "长链" else -1)
        if abs(stated - equation.long_chain_m) > 0.005:
            msg = (
                f"断链 {raw!r} 注明 {note['kind']} {note['amount']} m，"
                f"但两侧桩号相差 {equation.long_chain_m:+.3f} m（正为长链）"
            )
            raise DataError(msg)
    return equation


def parse_equations(value: str | Iterable[str] | None) -> tuple[ChainEquation, ...]:
    """Parse several equations from one text (separated by ``;`` ``；`` ``,`` ``、`` or newlines) or a list."""
    if value is None:
        return ()
    if isinstance(value, str):
        items = [s for s in _LIST_SPLIT.split(value) if s.strip()]
    else:
        items = [str(s) for s in value if str(s).strip()]
    return tuple(parse_equation(s) for s in items)


def parse_section(text: str) -> tuple[Chainage, Chainage]:
    """Parse a section ``K0+000~K5+600`` (also ``～``, ``至``, ``到``) into its start and end stations."""
    norm = _normalise(str(text))
    # split on a range sign followed by a station, so the minus of K0-100 is not taken for one
    parts = [p for p in _RANGE_SPLIT.split(norm, maxsplit=1) if p]
    if len(parts) != 2:
        msg = f"无法识别的桩号区间：{text!r}（应形如 K0+000~K5+600）"
        raise DataError(msg)
    return parse_chainage(parts[0]), parse_chainage(parts[1])


class ChainageLine:
    """One line's station numbering with its 断链 equations, to turn stations into true distances.

    Parameters
    ----------
    equations
        The line's equations in order along the line (text or :class:`ChainEquation`).
    line
        The line prefix (``K``, ``ZK``, ``YK`` …); every station used must be on it.
    """

    def __init__(
        self, equations: Sequence[ChainEquation | str] | str | None = (), *, line: str = "K"
    ) -> None:
        if isinstance(equations, str) or equations is None:
            eqs = parse_equations(equations)
        else:
            eqs = tuple(e if isinstance(e, ChainEquation) else parse_equation(e) for e in equations)
        self.line = line
        self.equations = eqs
        for eq in eqs:
            if eq.back.line != line:
                msg = f"断链 {eq} 属于线路 {eq.back.line}，不是 {line}"
                raise DataError(msg)
        # zone i runs over stations [lo_i, hi_i] and its true distance is station + offset_i
        self._lo = [-math.inf] + [e.ahead.metres for e in eqs]
        self._hi = [e.back.metres for e in eqs] + [math.inf]
        offsets = [0.0]
        for e in eqs:
            offsets.append(offsets[-1] + e.long_chain_m)
        self._offset = offsets
        for i in range(len(eqs) + 1):
            if self._hi[i] < self._lo[i] - _EPS:
                msg = (
                    f"断链顺序有误：{eqs[i - 1]} 之后的下一处断链 {eqs[i]} 桩号更小；"
                    "请按里程顺序列出断链"
                )
                raise DataError(msg)

    def _check_line(self, station: Chainage) -> None:
        if station.line != self.line:
            msg = f"桩号 {station} 不在线路 {self.line} 上"
            raise DataError(msg)

    def distances_m(self, station: str | float | Chainage) -> list[float]:
        """Every true distance from the origin at which this station number occurs (two inside a 长链)."""
        st = parse_chainage(station, line=self.line)
        self._check_line(st)
        s = st.metres
        return [
            s + off
            for lo, hi, off in zip(self._lo, self._hi, self._offset, strict=True)
            if lo - _EPS <= s <= hi + _EPS
        ]

    def distance_m(
        self, station: str | float | Chainage, *, not_before: float | None = None
    ) -> float:
        """True distance of a station from the origin.

        Inside a 长链 a station number occurs twice: the first occurrence is taken,
        or, with ``not_before``, the first at or after that distance.

        Raises
        ------
        DataError
            The station lies in the gap of a 短链 (it does not exist).
        """
        found = self.distances_m(station)
        if not found:
            st = parse_chainage(station, line=self.line)
            msg = f"桩号 {st} 位于短链缺口内，该桩号不存在"
            raise DataError(msg)
        found = sorted(set(found))
        if not_before is not None:
            later = [d for d in found if d >= not_before - _EPS]
            if later:
                return later[0]
        return found[0]

    def station_at(self, distance_m: float) -> Chainage:
        """The station number at a true distance from the origin (the later numbering at an equation point)."""
        for lo, hi, off in zip(
            reversed(self._lo), reversed(self._hi), reversed(self._offset), strict=True
        ):
            s = distance_m - off
            if lo - _EPS <= s <= hi + _EPS:
                return Chainage(s, self.line)
        msg = f"距离 {distance_m} m 无法换算为桩号"  # unreachable: the zones tile the line
        raise DataError(msg)

    def length_m(self, start: str | float | Chainage, end: str | float | Chainage) -> float:
        """Length between two stations in metres (always ≥ 0; the order of the stations does not matter)."""
        a = self.distance_m(start)
        b = self.distance_m(end, not_before=a)
        if b >= a - _EPS:
            return max(b - a, 0.0)
        b = self.distance_m(end)
        a = self.distance_m(start, not_before=b)
        return abs(a - b)

    def interval_m(
        self, start: str | float | Chainage, end: str | float | Chainage
    ) -> tuple[float, float]:
        """The section as (from, to) true distances, from ≤ to, resolved as in :meth:`length_m`."""
        a = self.distance_m(start)
        b = self.distance_m(end, not_before=a)
        if b >= a - _EPS:
            return (a, max(a, b))
        b = self.distance_m(end)
        a = self.distance_m(start, not_before=b)
        return (min(a, b), max(a, b))


def section_length_m(
    start: str | float | Chainage,
    end: str | float | Chainage,
    equations: Sequence[ChainEquation | str] | str | None = (),
) -> float:
    """Length in metres of the section from ``start`` to ``end``, honouring the 断链 equations of its line.

    Equations of other lines (e.g. the ``YK`` line when the section is on ``ZK``) are ignored.
    """
    a = parse_chainage(start)
    b = parse_chainage(end, line=a.line)
    if a.line != b.line:
        msg = f"区间起止桩号不在同一线路：{a} 与 {b}"
        raise DataError(msg)
    if isinstance(equations, str) or equations is None:
        eqs: tuple[ChainEquation, ...] = parse_equations(equations)
    else:
        eqs = tuple(e if isinstance(e, ChainEquation) else parse_equation(e) for e in equations)
    own = [e for e in eqs if e.back.line == a.line]
    return ChainageLine(own, line=a.line).length_m(a, b)


def section_length_km(
    start: str | float | Chainage,
    end: str | float | Chainage,
    equations: Sequence[ChainEquation | str] | str | None = (),
) -> float:
    """Length in km of the section from ``start`` to ``end`` (see :func:`section_length_m`)."""
    return section_length_m(start, end, equations) / 1000.0
