"""Builds ``memory-schema1.sqlite`` with the schema-1 code of commit a9fce9c.

Run from a checkout of that commit: ``PYTHONPATH=. python tests/data/make_memory_schema1.py``.
"""

from pathlib import Path

from pipeline.memory import TranslationMemory
from pipeline.units import Flag, Segment, Unit

OUT = Path(__file__).with_name("memory-schema1.sqlite")


def _unit(number: int, source: str, target: str, **kw) -> Unit:
    seg = Segment(number=number, paragraph=1, text=source, spans=[(0, len(source))])
    return Unit(segment=seg, target=target, origin="mt", **kw)


def main() -> None:
    for old in OUT.parent.glob(OUT.name + "*"):
        old.unlink()
    mt = {"engine": "fake", "model": "fake-model", "model_sha256": "0" * 64}
    with TranslationMemory(OUT) as tm:
        tm.import_pairs([("今天天气很好。", "The weather is fine today."),
                         ("他用iPhone拍了照片。", "He took the photo with an iPhone.")],
                        origin="human")
        tm.import_pairs([("第十届世界互联网大会在乌镇开幕。",
                          "The 10th World Internet Conference opened in Wuzhen.")],
                        origin="aligned")
        units = [_unit(1, "浙江日报发表了这篇文章。", "Zhejiang Daily published this article.",
                       flags=[Flag("engine", "warning", "note")], **mt),
                 _unit(2, "会议在乌镇举行。", "The meeting was held in Wuzhen.", **mt)]
        tm.add_units(units, "doc1", [None, "浙江日报发表了这篇文章。"])


if __name__ == "__main__":
    main()
