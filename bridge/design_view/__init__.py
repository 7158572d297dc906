"""Diagrams of the pipeline design (HTML, SVG, Markdown), generated from the design model.

``render_design_html`` is what the service's ``/design`` page returns.
"""

from __future__ import annotations

from bridge.design_view.html import render_html
from bridge.design_view.markdown import render_markdown
from bridge.design_view.model import DesignView, build_view
from bridge.design_view.svg import render_svg
from bridge.i18n import normalize_language
from validators.design import Design

FORMATS = ("html", "svg", "md")


def render_design(design: Design, lang: str, output_format: str) -> str:
    """Return the design drawn in ``output_format`` ("html", "svg" or "md") in ``lang``."""
    view = build_view(design, normalize_language(lang))
    if output_format == "html":
        return render_html(view)
    if output_format == "svg":
        return render_svg(view)
    if output_format == "md":
        return render_markdown(view)
    raise ValueError(f"unknown format {output_format!r}; expected one of {', '.join(FORMATS)}")


def render_design_html(design: Design, lang: str) -> str:
    """Return the self-contained HTML page of ``design`` in ``lang``."""
    return render_design(design, lang, "html")


__all__ = ["FORMATS", "DesignView", "build_view", "render_design", "render_design_html"]
