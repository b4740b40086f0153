"""Numbers in Chinese source and English target text, and checking that they agree.

- :mod:`.chinese` finds numbers, dates and clock times in Chinese (:func:`find_numbers`);
- :mod:`.english` finds them in English (:func:`english_numbers`);
- :mod:`.rewrite` turns Chinese dates, times and 万/亿 numbers into English forms for MT input
  (:func:`rewrite_for_mt`);
- :mod:`.matching` pairs source with target numbers and reports what disagrees
  (:func:`match_numbers`);
- :mod:`.repair` puts back a number the MT copied with the wrong power of ten
  (:func:`repair_scale_slips`);
- :mod:`.base` holds the records they exchange.
"""

from .base import EnglishNumber, NumberMention, NumberProblem, format_plain
from .chinese import find_numbers, parse_chinese_numeral
from .english import english_numbers, english_values
from .matching import match_numbers
from .repair import repair_scale_slips
from .rewrite import format_english, rewrite_dates_times, rewrite_for_mt, rewrite_scale_words

__all__ = [
    "EnglishNumber",
    "NumberMention",
    "NumberProblem",
    "english_numbers",
    "english_values",
    "find_numbers",
    "format_english",
    "format_plain",
    "match_numbers",
    "parse_chinese_numeral",
    "repair_scale_slips",
    "rewrite_dates_times",
    "rewrite_for_mt",
    "rewrite_scale_words",
]
