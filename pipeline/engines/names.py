"""Proper names in pinyin: required renderings the model need not guess.

The 1.5B model guesses the romanization of rarer Chinese names (丽水 came out "Liushui").
jieba's part-of-speech tags find personal (``nr``) and place (``ns``) names; pypinyin spells
them: people surname first (任贤良 → Ren Xianliang, 欧阳修 → Ouyang Xiu), places as one
word (丽水 → Lishui). The names become extra required renderings, like glossary lines.

Names whose English form is not their pinyin (美国, 香港, 陕西, 长江 …) are left to the
model, as are names inside a glossary term, transliterated foreign names (a personal name
must start with a common Chinese surname) and anything jieba tags on one character.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..han import HAN_RUN
from ..jiebautil import pos_cut, stock_tokenizer
from ..units import Term

#: Compound surnames (two characters), checked before single ones.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 司徒 东方 皇甫 尉迟 公孙 慕容 令狐 夏侯 长孙 宇文 端木 西门 "
    "轩辕 独孤 南宫 申屠 万俟 闻人 澹台 濮阳 太史 百里 呼延 钟离".split()
)

#: Common single-character surnames (about 150, covering most of the population).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
    "陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟"
    "殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游"
    "辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫"
    "费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明"
    "佘池查麻苑迟邝"
)

#: Places whose English name is not their pinyin, or that the model knows better.
NOT_PINYIN = frozenset(
    "中国 中华 美国 英国 法国 德国 日本 韩国 朝鲜 俄罗斯 俄 印度 欧洲 亚洲 非洲 美洲 拉美 "
    "澳大利亚 加拿大 新加坡 意大利 西班牙 葡萄牙 荷兰 瑞士 瑞典 挪威 芬兰 丹麦 希腊 埃及 "
    "巴西 阿根廷 墨西哥 泰国 越南 老挝 缅甸 柬埔寨 菲律宾 马来西亚 印尼 印度尼西亚 巴基斯坦 "
    "伊朗 伊拉克 以色列 土耳其 沙特 南非 联合国 欧盟 东盟 香港 澳门 台湾 陕西 西藏 内蒙古 "
    "长江 黄河 珠江 东海 南海 黄海 渤海 太平洋 大西洋 印度洋 北极 南极 海南 全球 世界 "
    "亚太 中东 中亚 东亚 东南亚 西方 东方 北美 南美 京津冀 长三角 珠三角 粤港澳 大湾区 "
    "一带一路 丝绸之路 天安门 故宫 长城 中南海 喜马拉雅 青藏 西湖 哈尔滨 "
    "山区 市区 城区 郊区 新建 新区 雅加达 东京 首尔 巴黎 伦敦 纽约 华盛顿 莫斯科 柏林".split()
)


def _pinyin(word: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(word, style=Style.NORMAL, errors="ignore")


def person_pinyin(name: str) -> str | None:
    """Surname-first pinyin of a Chinese personal name, or None when it does not look like one.

    ``任贤良`` → ``Ren Xianliang``; ``欧阳修`` → ``Ouyang Xiu``. A name must be 2–4
    characters (3 with a one-character surname) and start with a common surname; this keeps
    out transliterated foreign names and the many two-character words jieba tags ``nr``.
    """
    if not HAN_RUN.fullmatch(name) or not 2 <= len(name) <= 4:
        return None
    if _jieba_freq(name) >= 20:
        return None  # a dictionary word tagged nr (马拉松, 荣誉), not a person
    if name[:2] in COMPOUND_SURNAMES and len(name) >= 3:
        surname, given = name[:2], name[2:]
    elif name[0] in SURNAMES and len(name) == 3:
        surname, given = name[0], name[1:]
    else:
        return None
    sur = "".join(_pinyin(surname)).capitalize()
    giv = "".join(_pinyin(given)).capitalize()
    return f"{sur} {giv}" if sur and giv else None


#: Administrative suffixes: how the English name ends (丽水市 → Lishui, 泸定县 → Luding County).
ADMIN_SUFFIXES = {"省": " Province", "市": "", "县": " County", "区": " District"}


def _jieba_freq(word: str) -> int:
    """The word's frequency in jieba's stock dictionary (0 when unknown)."""
    return int(stock_tokenizer().FREQ.get(word) or 0)


def _is_place(stem: str) -> bool:
    """jieba's dictionary knows ``stem`` with an administrative suffix (宁波 → 宁波市).

    jieba tags many common words ``ns`` (契约, 美丽, 山区); a real place also appears in
    its dictionary as a city, county or province.
    """
    return any(_jieba_freq(stem + suffix) for suffix in ("市", "县", "省", "镇"))


def place_name_pinyin(name: str) -> str | None:
    """Pinyin of a Chinese place name (丽水 → Lishui, 泸定县 → Luding County), or None."""
    if not HAN_RUN.fullmatch(name) or not 2 <= len(name) <= 5 or name in NOT_PINYIN:
        return None
    if any(name.startswith(p) or name.endswith(p) for p in NOT_PINYIN if len(p) >= 2):
        return None
    stem, english = name, ""
    if name[-1] in ADMIN_SUFFIXES and len(name) >= 3:
        stem, english = name[:-1], ADMIN_SUFFIXES[name[-1]]
    elif not _is_place(name):
        return None
    if stem in NOT_PINYIN:
        return None
    spelled = "".join(_pinyin(stem)).capitalize()
    return spelled + english if spelled else None


def name_terms(source: str, terms: Sequence[Term] = ()) -> list[Term]:
    """Required renderings for the personal and place names in ``source``.

    Names that overlap a glossary term in ``terms`` (a source substring either way) are left
    to the glossary. Returns :class:`Term` objects (note ``name: person``/``name: place``),
    one per distinct name, in source order.
    """
    covered = [t.source for t in terms if t.source]
    out: dict[str, Term] = {}
    for word, flag in pos_cut(source):
        if word in out or flag not in ("nr", "ns"):
            continue
        if any(word in c or c in word for c in covered):
            continue
        spelled = person_pinyin(word) if flag == "nr" else place_name_pinyin(word)
        if spelled:
            kind = "person" if flag == "nr" else "place"
            out[word] = Term(source=word, target=spelled, note=f"name: {kind}")
    return list(out.values())
