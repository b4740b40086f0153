"""The normalised source key of memory lookups and check baselines (term folding: glossary.folding).

``normalize_key`` folds what a translator would not call a different sentence: Unicode
compatibility forms (NFKC: full-width ASCII, half-width katakana/punctuation), runs of
whitespace (and any whitespace touching a CJK character, which is layout damage in
Chinese text) and the look-alike punctuation pairs NFKC leaves apart (curly quotes,
ideographic full stop, dashes).
"""

from __future__ import annotations

import re
import unicodedata

from .han import HAN_RANGES

_CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f" + HAN_RANGES
_SPACE_RUN = re.compile(r"\s+")
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) | (?=[{_CJK}])")

#: Punctuation folded to one representative (applied after NFKC).
_PUNCT_FOLD = str.maketrans(
    {
        "\u3002": ".",  # 。 ideographic full stop
        "\uff61": ".",
        "\u3001": ",",  # 、 enumeration comma
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u300c": '"',  # 「 」 corner brackets used as quotes
        "\u300d": '"',
        "\u300e": '"',
        "\u300f": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u30fb": "\u00b7",  # katakana middle dot → middle dot
        "\u2027": "\u00b7",
        "\u2026": "...",  # … (NFKC already does this)
        "\u3010": "[",  # 【 】
        "\u3011": "]",
        "\u3008": "<",  # 〈 〉
        "\u3009": ">",
    }
)

_PUNCT_OR_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize_key(text: str) -> str:
    """Return the normalised lookup key of ``text`` (used for 100 % matches)."""
    key = unicodedata.normalize("NFKC", text).translate(_PUNCT_FOLD)
    key = _SPACE_RUN.sub(" ", key).strip()
    return _CJK_SPACE.sub("", key)


def strip_punctuation(key: str) -> str:
    """``key`` without punctuation, symbols or spaces (to spot punctuation-only changes)."""
    return _PUNCT_OR_SPACE.sub("", key)
