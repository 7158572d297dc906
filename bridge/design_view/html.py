"""Write the design view as one self-contained HTML page: inline CSS and SVG, no assets.

The page works offline and inside the add-on's sidebar, which is why it loads
no script, font or stylesheet from elsewhere.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from bridge.design_view.model import DesignView
from bridge.design_view.svg import render_scoring_svg, render_svg

# The smallest scale a diagram shrinks to in a narrow window: 0.7 keeps the
# 12 px labels at about 8.5 px. Narrower windows scroll the diagram instead.
MIN_SCALE = 0.7

_ENVIRONMENT = Environment(autoescape=select_autoescape(default=True), trim_blocks=True,
                           lstrip_blocks=True)  # fmt: skip

PAGE = _ENVIRONMENT.from_string(
    """<!DOCTYPE html>
<html lang="{{ view.lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ view.name }}</title>
<style>
body { font-family: 'Hiragino Sans', 'Noto Sans JP', 'Yu Gothic', Meiryo, sans-serif;
       margin: 16px; color: #202124; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 24px; }
/* The pipelines and the scoring panel sit side by side when both fit, else the
   panel wraps below. A diagram wider than the window shrinks to fit, down to
   its min-width, and scrolls inside its box beyond that. */
.overview { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.diagram { overflow-x: auto; max-width: 100%; box-sizing: border-box;
           border: 1px solid #dadce0; border-radius: 6px; padding: 8px; }
.diagram svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #dadce0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f1f3f4; }
tr.won td:first-child { border-left: 4px solid #188038; }
tr.lost td:first-child { border-left: 4px solid #c5221f; }
code { color: #5f6368; }
.muted { color: #5f6368; }
</style>
</head>
<body>
<h1>{{ view.name }}</h1>
<div class="overview">
<div class="diagram" data-diagram="pipelines">{{ svg }}</div>
{% if scoring_svg %}
<div class="diagram" data-diagram="scoring">{{ scoring_svg }}</div>
{% endif %}
</div>
{% for pipeline in view.pipelines %}
<section data-pipeline="{{ pipeline.id }}">
<h2>{{ pipeline.label }} <code>{{ pipeline.id }}</code></h2>
{% if pipeline.always %}
<p class="muted">{{ view.texts.always }}:
{{ pipeline.always | map(attribute="text") | join(", ") }}</p>
{% endif %}
<table>
<thead><tr><th>{{ view.texts.stage }}</th><th>{{ view.texts.kind }}</th>
<th>{{ view.texts.adds }}</th><th>{{ view.texts.total }}</th>
<th>{{ view.texts.max_days }}</th><th>{{ view.texts.contact }}</th></tr></thead>
<tbody>
{% for stage in pipeline.stages %}
<tr class="{{ stage.kind }}" data-stage="{{ stage.id }}">
<td>{{ stage.label }} <code>{{ stage.id }}</code></td>
<td>{{ stage.kind_text }}</td>
<td>{% if stage.added %}{{ stage.added | map(attribute="text") | join(", ") }}
{% else %}{{ view.texts.none }}{% endif %}</td>
<td>{{ stage.total_text }}</td>
<td>{{ stage.max_days_text or "-" }}</td>
<td>{{ stage.contact_text or "-" }}</td>
</tr>
{% endfor %}
</tbody>
</table>
</section>
{% endfor %}
<section data-scoring="true">
<h2>{{ view.texts.scoring }}</h2>
{% if view.scoring %}
<table>
<thead><tr><th>{{ view.texts.measure }}</th><th>{{ view.texts.weight }}</th>
<th>{{ view.texts.share }}</th><th>{{ view.texts.scale }}</th></tr></thead>
<tbody>
{% for measure in view.scoring.measures %}
<tr><td>{{ measure.property.text }}</td><td>{{ "%g" | format(measure.weight) }}</td>
<td>{{ "%g" | format(measure.share) }}%</td><td>{{ measure.scale }}</td></tr>
{% endfor %}
</tbody>
</table>
<table>
<thead><tr><th>{{ view.texts.grade }}</th><th>{{ view.texts.from_score }}</th></tr></thead>
<tbody>
{% for band in view.scoring.bands %}
<tr><td>{{ band.grade }}</td><td>{{ "%g" | format(band.min) }}</td></tr>
{% endfor %}
</tbody>
</table>
{% if view.scoring.drop_text %}<p>{{ view.scoring.drop_text }}</p>{% endif %}
{% else %}
<p>{{ view.texts.no_scoring }}</p>
{% endif %}
</section>
</body>
</html>
"""
)


def render_html(view: DesignView) -> str:
    """Return the design as a standalone HTML page."""
    # The SVG renderers build their markup with ElementTree, which escapes every text.
    svg = Markup(_shrinkable(render_svg(view, scoring=False)))
    scoring = render_scoring_svg(view)
    scoring_svg = Markup(_shrinkable(scoring)) if scoring is not None else None
    return PAGE.render(view=view, svg=svg, scoring_svg=scoring_svg)


def _shrinkable(svg: str) -> str:
    """Return ``svg`` with a min-width of MIN_SCALE times its width, for the page's CSS."""
    root = ET.fromstring(svg)
    min_width = int(float(root.get("width", "0")) * MIN_SCALE)
    return svg.replace("<svg ", f'<svg style="min-width: {min_width}px" ', 1)
