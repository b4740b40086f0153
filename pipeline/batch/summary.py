"""``batch.html``: the batch summary as one self-contained page (no network)."""

from __future__ import annotations

from functools import cache

import jinja2


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.batch", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("batch.html.j2")


def render_html(data: dict) -> str:
    """The page for ``batch.json`` data: totals, one row per document, failures in red."""
    has_risk = any(d.get("risk") for d in data["documents"])
    documents = [{"leverage": {}, "qa": {}, "scores": None, "time": {}, "risk": None,
                  "error": None, "segments": 0, "mt_translated": 0, "batch_reused": 0,
                  "glossary_violations": 0, **d} for d in data["documents"]]
    return _template().render(**{**data, "documents": documents}, has_risk=has_risk)
