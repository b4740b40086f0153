"""jieba with its stock dictionary only, shared by the stages that analyse Chinese text.

Every analysis (layout repair, term word boundaries, name and place detection) uses this
private tokenizer rather than jieba's global one, so the same text always gets the same
answer whatever else was loaded into jieba.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

_LOCK = threading.Lock()
_TOKENIZER: Any = None
_POS: Any = None


def stock_tokenizer() -> Any:
    """A ``jieba.Tokenizer`` with the stock dictionary, loaded once, quietly."""
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.check_initialized()
            _TOKENIZER = tokenizer
    return _TOKENIZER


def stock_pos_tokenizer() -> Any:
    """A part-of-speech tagger (``jieba.posseg``) over :func:`stock_tokenizer`."""
    global _POS
    tokenizer = stock_tokenizer()
    with _LOCK:
        if _POS is None:
            import jieba.posseg as pseg

            _POS = pseg.POSTokenizer(tokenizer)
    return _POS


@lru_cache(maxsize=1024)
def pos_cut(text: str) -> tuple[tuple[str, str], ...]:
    """``text`` as ``(word, part-of-speech tag)`` pairs from :func:`stock_pos_tokenizer`.

    Cached: the engine's name and word repairs, QA's content words and the risk score's
    dictionary check each cut the same segments.
    """
    return tuple((pair.word, pair.flag) for pair in stock_pos_tokenizer().cut(text))
