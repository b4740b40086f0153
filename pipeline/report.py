"""The reviewer's report: ``report.json``, a self-contained ``report.html`` and a terminal view."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .fsutil import atomic_write_text
from .qa import TERM_CHECK, summarize
from .terminal import rich_safe
from .units import LayoutNote, RunResult, Term, TermMatch, Unit

ORIGIN_LABELS = {"mt": "MT", "tm-exact": "TM 100 %", "tm-context": "TM 101 %",
                 "tm-fuzzy": "fuzzy"}


# --------------------------------------------------------------------------- report.json


def _term_span(term: Term, target: str) -> tuple[tuple[int, int] | None, bool]:
    """Where the verifier's patterns find ``term`` in ``target``: ``(span, forbidden)``."""
    from .glossary.folding import fold_english
    from .glossary.verify import compiled

    folded = fold_english(target)
    if len(folded) != len(target):  # offsets would not map back: no highlight
        return None, False
    c = compiled(term)
    for pattern, forbidden in ((c.forbidden, True), (c.accepted, False), (c.exact, False)):
        found = pattern.search(folded) if pattern is not None else None
        if found:
            return found.span(), forbidden
    return None, False


def term_status(unit: Unit, match: TermMatch) -> dict:
    """One glossary term of a unit: where it is in source and target, and met or violated.

    Violated means the verifier flagged it (a ``term-violation`` flag for this term, as
    ``tmpipe run`` and ``tmpipe check`` set them): the page never judges terms itself.
    """
    term = match.term
    violated = any(f.check == TERM_CHECK and f.message.startswith(f"{term.source}:")
                   for f in unit.flags)
    span, forbidden = _term_span(term, unit.target)
    if span is not None and forbidden != violated and forbidden:
        span = None  # a forbidden form the verifier did not count: do not mark it
    return {
        "source": term.source, "target": term.target, "start": match.start, "end": match.end,
        "status": "violated" if violated else "met",
        "target_span": list(span) if span else None,
        "found": unit.target[span[0]:span[1]] if span else None,
    }


def _layout_for(layout: Sequence[LayoutNote], number: int) -> list[dict]:
    return [_layout_dict(n) for n in layout if n.segment == number]


def _layout_dict(note: LayoutNote) -> dict:
    return {"kind": note.kind, "paragraphs": list(note.paragraphs), "segment": note.segment,
            "evidence": note.evidence}


def unit_dict(unit: Unit, doc_id: str, layout: Sequence[LayoutNote] = ()) -> dict:
    """The per-unit record of ``report.json``."""
    return {
        "number": unit.number, "tuid": unit.tuid(doc_id), "kind": unit.segment.kind,
        "paragraph": unit.segment.paragraph, "source": unit.source, "target": unit.target,
        "origin": unit.origin, "match": unit.match_score, "engine": unit.engine,
        "model": unit.model, "retries": unit.retries,
        "tm_source": unit.tm_match.source if unit.tm_match else None,
        "segment_flags": list(unit.segment.flags),
        "flags": [{"check": f.check, "severity": f.severity, "message": f.message}
                  for f in unit.flags],
        "terms": [term_status(unit, m) for m in unit.terms],
        "reference": unit.reference, "alignment_confidence": unit.alignment_confidence,
        "scores": dict(unit.scores), "layout": _layout_for(layout, unit.number),
        "state": unit.state, "leverage": unit.leverage, "changed_by": unit.changed_by,
        "mt_target": unit.mt_target or None, "postedit": dict(unit.postedit) or None,
        "risk": unit.risk, "risk_reasons": list(unit.risk_reasons),
        "confidence": dict(unit.confidence),
    }


def _tm_counts(units: Sequence[Unit]) -> dict:
    origins = Counter(u.origin for u in units)
    return {"exact": origins["tm-exact"], "context": origins["tm-context"],
            "fuzzy": origins["tm-fuzzy"], "mt": origins["mt"], "copy": origins["copy"]}


def _glossary_counts(units: Sequence[Unit]) -> dict:
    return {"checked": sum(bool(u.terms) for u in units),
            "terms_checked": sum(len(u.terms) for u in units),
            "violations": sum(f.check == "term-violation" for u in units for f in u.flags)}


def build_report_json(result: RunResult) -> dict:
    """Everything a reviewer (or a script) needs, as plain JSON-able data.

    The counts are the run's (``result.tm``, ``glossary``, ``qa``); only a result without
    them (one built by hand) gets them computed from the units.
    """
    units = result.units
    engine = {"name": None, "model": None, "sha256": None, **result.engine}
    timings = {"total_s": None, "mt_s": None, "per_segment_s": None, **result.timings}
    return {
        "doc_id": result.doc_id,
        "source_path": result.source_path,
        "reference_path": result.reference_path,
        "segments": len(result.segments),
        "translated": len(units),
        "paragraphs": max((s.paragraph for s in result.segments), default=0),
        "engine": engine,
        "tm": result.tm or _tm_counts(units),
        "glossary": result.glossary or _glossary_counts(units),
        "scores": result.scores,
        "timings": timings,
        "layout": [_layout_dict(n) for n in result.layout],
        "qa": result.qa or summarize(units),
        "risk": _risk_summary(units, result.options.get("risk_max")),
        "options": result.options,
        "postedit": result.postedit,
        "units": [unit_dict(u, result.doc_id, result.layout) for u in units],
    }


def _risk_summary(units: Sequence[Unit], risk_max: float | None = None) -> dict | None:
    if all(u.risk is None for u in units):
        return None
    from .risk import summary

    return summary(units, risk_max=risk_max)


def write_report_json(path: str | Path, result: RunResult) -> None:
    """Write ``report.json`` atomically."""
    data = build_report_json(result)
    atomic_write_text(path, json.dumps(finite(data), ensure_ascii=False, indent=2,
                                       allow_nan=False) + "\n")


# --------------------------------------------------------------------------- report.html


def highlight(text: str, spans: Sequence[tuple[int, int, str, str]]) -> Markup:
    """HTML-escape ``text`` and wrap ``(start, end, css_class, title)`` spans in ``<mark>``."""
    out, pos = [], 0
    for start, end, css, title in sorted(spans):
        if start < pos or end > len(text) or start >= end:
            continue  # overlapping or stale span: leave the text plain
        out.append(escape(text[pos:start]))
        out.append(Markup('<mark class="{}" title="{}">{}</mark>').format(
            css, title, text[start:end]))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def _term_spans(terms: list[dict], side: str) -> list[tuple[int, int, str, str]]:
    spans = []
    for t in terms:
        css = f"term {t['status']}"
        title = f"{t['source']} → {t['target']} ({t['status']})"
        if side == "source":
            spans.append((t["start"], t["end"], css, title))
        elif t["target_span"]:
            spans.append((t["target_span"][0], t["target_span"][1], css, title))
    return spans


def finite(data: object) -> object:
    """``data`` with every NaN or infinite float replaced by None (strict JSON)."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(v) for v in data]
    return data


def safe_json(data: object) -> Markup:
    """Strict JSON for a ``<script type="application/json">``: ``<``, ``>``, ``&`` escaped."""
    text = json.dumps(finite(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _badge(unit: dict) -> tuple[str, str]:
    origin = unit["origin"]
    if origin == "tm-fuzzy" and unit["match"] is not None:
        return "fuzzy", f"fuzzy {unit['match']:.0f} %"
    css = {"mt": "mt", "tm-exact": "exact", "tm-context": "exact"}.get(origin, "other")
    return css, ORIGIN_LABELS.get(origin, origin or "—")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("pipeline", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["highlight"] = highlight
    env.globals.update(term_spans=_term_spans, badge=_badge)
    return env


def _client_data(report: dict) -> dict:
    """What the page's script needs per unit (filters, sorting), keyed by segment number."""
    high = (report.get("risk") or {}).get("high")
    return {"high": high, "units": [{
        "n": u["number"], "origin": u["origin"], "kind": u["kind"],
        "flagged": any(f["severity"] != "info" for f in u["flags"]),
        "errors": sum(f["severity"] == "error" for f in u["flags"]),
        "checks": sorted({f["check"] for f in u["flags"]}),
        "violations": sum(t["status"] == "violated" for t in u["terms"]),
        "bleu": u["scores"].get("bleu"), "chrf": u["scores"].get("chrf"),
        "risk": u["risk"],
    } for u in report["units"]]}


def render_report_html(result: RunResult) -> str:
    """The whole self-contained HTML page for ``result``."""
    report = build_report_json(result)
    qa = report["qa"]
    origins = sorted({u["origin"] for u in report["units"] if u["origin"]})
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, qa=qa, origins=origins,
                           origin_labels=ORIGIN_LABELS, data=safe_json(_client_data(report)))


def write_report_html(path: str | Path, result: RunResult) -> None:
    """Write ``report.html`` atomically: one file, inline CSS/JS, no network."""
    atomic_write_text(path, render_report_html(result))


def print_text_report(result: RunResult, console=None, limit: int | None = None) -> None:
    """A compact terminal view with rich: summary, then units, flagged ones first."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    report = build_report_json(result)
    qa, tm, scores = report["qa"], report["tm"], report["scores"]
    console.print(f"[bold]{escape_rich(report['doc_id'])}[/]  {report['segments']} segments  "
                  f"TM exact {tm['exact']} context {tm['context']} fuzzy {tm['fuzzy']} "
                  f"MT {tm['mt']}  glossary violations {report['glossary']['violations']}  "
                  f"QA errors {qa['errors']} warnings {qa['warnings']}", highlight=False)
    if scores:
        console.print(f"BLEU {scores.get('bleu')}  chrF {scores.get('chrf')}  "
                      f"TER {scores.get('ter')}", highlight=False)
    table = Table(show_lines=False, expand=True)
    for name, ratio in (("#", 0), ("risk", 0), ("origin", 0), ("source", 3), ("target", 4),
                        ("flags", 3)):
        table.add_column(name, ratio=ratio or None, overflow="fold", no_wrap=not ratio)
    for unit in text_order(report["units"])[:limit]:
        lines = [f"[red]why[/]: {escape_rich('; '.join(unit['risk_reasons']))}"] if unit.get(
            "risk_reasons") else []
        lines += [f"[{_SEVERITY_STYLE.get(f['severity'], 'yellow')}]"
                  f"{escape_rich(f['check'])}[/]: {escape_rich(f['message'])}"
                  for f in unit["flags"]]
        flags = "\n".join(lines)
        risk = "-" if unit["risk"] is None else f"{unit['risk']:.2f}"
        table.add_row(str(unit["number"]), risk, escape_rich(_badge(unit)[1]),
                      escape_rich(unit["source"]), escape_rich(unit["target"]), flags)
    console.print(table)


_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "blue"}


def text_order(units: Sequence[dict]) -> list[dict]:
    """Riskiest first; units without a risk after them, flagged ones first."""
    return sorted(units, key=lambda u: (u["risk"] is None, -(u["risk"] or 0.0),
                                        not any(f["severity"] != "info" for f in u["flags"]),
                                        u["number"]))


def escape_rich(text: str) -> str:
    """Escape rich markup and show control characters in user text."""
    return rich_safe(text)
