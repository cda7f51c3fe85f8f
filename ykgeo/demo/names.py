"""Plausible names and codes for the demo store: firms, villages, credit codes, 电子监管号, document numbers.

All names are invented (示意). Every generator draws from the caller's numpy
generator in a fixed order, so the same seed gives the same names.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NameBook",
    "credit_code",
    "supervision_number",
]

_FIRM_HEAD = "鑫恒华金永宏富泰盛达顺新正信立荣瑞凯捷精群联合兴隆亿佳飞东双天星博锦宇康丰阳光明"
_FIRM_TAIL = "达丰宇盛泰源力业通利鑫科诚发顺强美亚辉洲邦创锋威嘉"
_PRODUCTS = (
    "五金制品", "工贸", "电器", "杯业", "门业", "工具", "电动工具", "车业", "不锈钢制品",
    "机械", "模具", "锁业", "炊具", "衡器", "金属制品", "压铸", "休闲用品", "园林工具",
    "塑料制品", "铝业", "电机", "实业", "厨具", "健身器材", "滑板车", "保温容器",
    "智能科技", "汽车配件", "家居用品", "铸造", "表面处理", "铜业", "链条", "弹簧",
)  # fmt: skip
_SURNAMES = "胡应吕徐程陈李王朱楼施章金周黄俞杜颜卢方蒋叶潘吴"
_VILLAGE_PREFIX = "前后上下大小东西南新里外"
_VILLAGE_SUFFIX = (
    "宅", "店", "塘", "坑", "山", "岭", "溪", "庄", "园", "畈", "垄", "头", "口", "桥", "村", "湖",
)  # fmt: skip
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
_ORG_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _org_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, weights, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def credit_code(rng: np.random.Generator, region: str = "330784") -> str:
    """A well-formed 18-character 统一社会信用代码 of a company (91 + region + org code + check)."""
    body = "".join(rng.choice(list(_ORG_BODY[:10]), size=2)) + "".join(
        rng.choice(list(_ORG_BODY), size=6)
    )
    head = "91" + region + body + _org_check(body)
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(head, weights, strict=True))
    check = (31 - total % 31) % 31
    return head + _ORG_ALPHABET[check]


def credit_code_valid(code: str) -> bool:
    """Whether an 18-character code carries the right GB 32100 check character."""
    if len(code) != 18 or any(c not in _ORG_ALPHABET for c in code):
        return False
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    return _ORG_ALPHABET[(31 - total % 31) % 31] == code[17]


def supervision_number(year: int, serial: int, kind: str = "B", region: str = "330784") -> str:
    """A 16-character 电子监管号: region (6) + year (4) + supply type letter + serial (5)."""
    return f"{region}{year:04d}{kind}{serial:05d}"


class NameBook:
    """Hands out unique names of firms and villages."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._firms: set[str] = set()
        self._villages: set[str] = set()
        self._village_of: dict[tuple[str, int], str] = {}

    def _pick(self, pool: str | tuple[str, ...]) -> str:
        return str(pool[int(self.rng.integers(0, len(pool)))])

    def brand(self) -> str:
        """A two-character trade name (字号) such as 恒达 or 金盛."""
        while True:
            a, b = self._pick(_FIRM_HEAD), self._pick(_FIRM_TAIL)
            if a != b:
                return a + b

    def firm(self, town_short: str = "") -> str:
        """A unique hardware-industry firm name: 永康市恒达五金制品有限公司, 浙江金盛工贸有限公司 …"""
        for _ in range(1000):
            brand, product = self.brand(), self._pick(_PRODUCTS)
            u = self.rng.random()
            if u < 0.66:
                name = f"永康市{brand}{product}有限公司"
            elif u < 0.84:
                name = f"浙江{brand}{product}有限公司"
            elif u < 0.88:
                name = f"浙江{brand}{product}股份有限公司"
            elif u < 0.93:
                name = f"金华{brand}{product}有限公司"
            elif town_short:
                name = f"永康市{town_short}{brand}{product.removesuffix('制品')}厂"
            else:
                name = f"永康市{brand}{product}有限公司"
            if name not in self._firms:
                self._firms.add(name)
                return name
        msg = "企业名称用尽"
        raise RuntimeError(msg)

    def village(self, town: str, index: int | None = None) -> str:
        """A unique village name (without 村) in ``town``; ``index`` reuses one already handed out."""
        if index is not None and (town, index) in self._village_of:
            return self._village_of[(town, index)]
        for _ in range(1000):
            s = self._pick(_SURNAMES)
            if self.rng.random() < 0.5:
                name = self._pick(_VILLAGE_PREFIX) + s
            else:
                name = s + self._pick(_VILLAGE_SUFFIX)
                if name.endswith("村"):
                    name = name[:-1] + "家"
            if name not in self._villages:
                self._villages.add(name)
                if index is not None:
                    self._village_of[(town, index)] = name
                return name
        msg = "村名用尽"
        raise RuntimeError(msg)

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        """One of ``options``."""
        return str(options[int(self.rng.integers(0, len(options)))])
