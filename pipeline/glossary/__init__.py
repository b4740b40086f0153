"""Glossary: term data, source matching, target verification and the ``check`` gate.

Public API (see ``docs/CONTRACTS.md``): :func:`load_glossary`, :class:`Glossary`
(``terms``, ``match``), :func:`verify_terms`, :class:`TermViolation`,
:func:`insert_do_not_translate`, :func:`validate_glossary`. File format: ``glossary/README.md``.
"""

from __future__ import annotations

from .check import CheckResult, check_tmx, result_json, write_junit
from .core import Glossary, check_terms, load_glossary
from .formats import parse_glossary, write_glossary
from .validate import ValidationReport, validate_glossary
from .verify import TermViolation, insert_do_not_translate, verify_terms

__all__ = [
    "CheckResult",
    "Glossary",
    "TermViolation",
    "ValidationReport",
    "check_terms",
    "check_tmx",
    "insert_do_not_translate",
    "load_glossary",
    "parse_glossary",
    "result_json",
    "validate_glossary",
    "verify_terms",
    "write_glossary",
    "write_junit",
]
