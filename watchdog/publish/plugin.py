"""kefu-watchdog's Datasette plugin: a charts page (bundled JavaScript, inline SVG, no CDN),
links from probes to their transcript and screenshot, reasons as readable lists, and a SQL
function for times in (simulated) seconds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from ..timescale import simulated_seconds

CHARTS_JS = Path(__file__).parent / "charts.js"


@hookimpl
def prepare_connection(conn):
    conn.create_function("watchdog_seconds", 2, simulated_seconds, deterministic=True)


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette) -> Markup | None:
    if column == "screenshot" and isinstance(value, str) and value:
        if not any(mount == "evidence" for mount, _ in datasette.static_mounts):
            return None
        name = Path(value).name
        return Markup(f'<a href="/evidence/{escape(name)}">截图 screenshot</a>')
    if (column == "probe_id" or (table == "probes" and column == "id")) and isinstance(value, str):
        href = f"/{database}/messages?probe_id={value}&_sort=seq"
        return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    if column == "reasons" and isinstance(value, str) and value.startswith("["):
        try:
            reasons = json.loads(value)
        except ValueError:
            return None
        return Markup("<br>".join(str(escape(r)) for r in reasons))
    return None


async def charts_page(datasette, request):
    database = datasette.get_database()
    result = await database.execute(
        "select rank, name, platform, grade, score, probes, human_rate, human_rate_low, human_rate_high, "
        "fake_online_rate, bot_loop_rate, first_human_median_s, peak_first_human_median_s, "
        "offpeak_first_human_median_s from ratings order by rank is null, rank, platform"
    )
    rows = [dict(row) for row in result.rows]
    # Embedded as JSON in a <script> element: "<" escaped so no platform name can end it.
    data = Markup(json.dumps(rows, ensure_ascii=False).replace("<", "\\u003c"))
    html = await datasette.render_template(
        "watchdog_charts.html", {"data": data, "database": database.name}, request=request
    )
    return Response.html(html)


async def charts_js(datasette, request):
    return Response(CHARTS_JS.read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8")


@hookimpl
def register_routes():
    return [(r"^/-/charts$", charts_page), (r"^/-/watchdog/charts\.js$", charts_js)]
