"""kefu-watchdog's Datasette plugin: the pages people read (a leaderboard, a page per
platform, a page per probe with its transcript drawn as a chat), a charts page (bundled
JavaScript, inline SVG, no CDN), links from probes to their transcript and screenshot,
reasons as readable lists, and a SQL function for times in (simulated) seconds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from ..formatting import format_duration
from ..timescale import simulated_seconds
from .feed import FEED_SIZE, incidents_feed
from .ratings import FORMULA, FORMULA_ZH
from .views import day_chart, days, figures, probe_summary, transcript

CHARTS_JS = Path(__file__).parent / "charts.js"
PAGES_CSS = Path(__file__).parent / "watchdog.css"
LATEST = 20  # probes listed on a platform's page
INCIDENTS = 12
CLAIMED_WORDS = {"online": "在线 online", "offline": "离线 offline", "unknown": "未显示 nothing shown"}


@hookimpl
def prepare_connection(conn):
    conn.create_function("watchdog_seconds", 2, simulated_seconds, deterministic=True)


def evidence_url(datasette, value: Any) -> str | None:
    """Where a stored screenshot is served: only in private mode (it shows the unmasked chat)."""
    if not isinstance(value, str) or not value or not any(mount == "evidence" for mount, _ in datasette.static_mounts):
        return None
    return f"/evidence/{Path(value).name}"


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette) -> Markup | None:
    if column == "screenshot" and (url := evidence_url(datasette, value)):
        return Markup(f'<a href="{escape(url)}">截图 screenshot</a>')
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


async def _rows(datasette, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    result = await datasette.get_database().execute(sql, params or {})
    return [dict(row) for row in result.rows]


async def _render(datasette, request, template: str, context: dict[str, Any]) -> Response:
    context = {"database": datasette.get_database().name, **context}
    return Response.html(await datasette.render_template(template, context, request=request))


async def leaderboard_page(datasette, request):
    ratings = await _rows(datasette, "select * from ratings order by rank is null, rank, platform")
    window = f"over the last {ratings[0]['window_days']:g} days" if ratings and ratings[0].get("window_days") else ""
    return await _render(
        datasette,
        request,
        "watchdog_leaderboard.html",
        {"rows": [figures(r) for r in ratings], "window": window, "formula": FORMULA, "formula_zh": FORMULA_ZH},
    )


async def platform_page(datasette, request):
    slug = request.url_vars["slug"]
    platform = await _rows(datasette, "select * from platforms where slug = :slug", {"slug": slug})
    if not platform:
        raise NotFound(f"no platform {slug}")
    rating = await _rows(datasette, "select * from ratings where platform = :slug", {"slug": slug})
    row = rating[0] if rating else {"platform": slug, "name": platform[0]["name"], "probes": 0}
    window = row.get("window_days") or 30
    probes = await _rows(
        datasette,
        "select * from probes where platform = :slug and state != 'running' "
        "and started_at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', :since) order by started_at desc",
        {"slug": slug, "since": f"-{window} days"},
    )
    promise_s = platform[0].get("promise_first_response_s")
    promise = (
        f"承诺 {format_duration(promise_s)} 内首次回复 · promises a first response within {format_duration(promise_s)}"
        if promise_s
        else "没有公开承诺 · makes no public promise: measured against 15 min"
    )
    incidents = [
        (probe_summary(p), evidence_url(datasette, p.get("screenshot")))
        for p in probes
        if p.get("fake_online") or p.get("bot_loop")
    ][:INCIDENTS]
    return await _render(
        datasette,
        request,
        "watchdog_platform.html",
        {
            "f": figures(row),
            "promise": promise,
            "chart": Markup(day_chart(list(reversed(days(probes))))),
            "incidents": incidents,
            "latest": [probe_summary(p) for p in probes[:LATEST]],
            "url": platform[0].get("url"),
        },
    )


async def probe_page(datasette, request):
    probe_id = request.url_vars["id"]
    found = await _rows(
        datasette,
        "select p.*, f.name as platform_name from probes p left join platforms f on f.slug = p.platform "
        "where p.id = :id",
        {"id": probe_id},
    )
    if not found:
        raise NotFound(f"no probe {probe_id}")
    probe = found[0]
    messages = await _rows(datasette, "select * from messages where probe_id = :id order by seq", {"id": probe_id})
    return await _render(
        datasette,
        request,
        "watchdog_probe.html",
        {
            "s": probe_summary(probe),
            "slug": probe["platform"],
            "name": probe.get("platform_name") or probe["platform"],
            "claimed": _claimed(probe),
            "bubbles": transcript(probe, messages),
            "screenshot": evidence_url(datasette, probe.get("screenshot")),
            "url": probe.get("url"),
            "vantage": probe.get("vantage"),
        },
    )


def _claimed(probe: dict[str, Any]) -> str:
    words = CLAIMED_WORDS.get(probe.get("claimed_status") or "", probe.get("claimed_status") or "—")
    shown = probe.get("claimed_status_text")
    return f"{words} (it showed {shown!r})" if shown and shown not in words else words


async def pages_css(datasette, request):
    return Response(PAGES_CSS.read_text(encoding="utf-8"), content_type="text/css; charset=utf-8")


async def charts_js(datasette, request):
    return Response(CHARTS_JS.read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8")


INCIDENTS_SQL = (
    "select p.id, p.platform, p.started_at, p.fake_online, p.bot_loop, p.reasons, f.name "
    "from probes p join platforms f on f.slug = p.platform where (p.fake_online = 1 or p.bot_loop = 1) {only} "
    "order by p.started_at desc limit {size}"
)


async def feed(datasette, request):
    slug = request.url_vars.get("slug")
    if slug is not None and not await _rows(datasette, "select slug from platforms where slug = :slug", {"slug": slug}):
        raise NotFound(f"no platform {slug}")
    only = "and p.platform = :slug" if slug else ""
    rows = await _rows(datasette, INCIDENTS_SQL.format(only=only, size=FEED_SIZE), {"slug": slug} if slug else {})
    base = f"{request.scheme}://{request.host}"
    if slug:
        path, title = (
            f"/-/platform/{slug}/feed.atom",
            f"kefu-watchdog: {rows[0]['name'] if rows else slug} 事件 incidents",
        )
    else:
        path, title = "/-/feed.atom", "kefu-watchdog: 事件 incidents (fake online, bot loops)"
    body = incidents_feed(base, path, title, rows)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


NO_SQL = (
    "任意 SQL 查询在公开版中已关闭 · Arbitrary SQL is switched off on this published copy: use its tables, "
    "its saved queries and its pages, or run `watchdog serve` on a copy of the database you hold."
)


@hookimpl
def forbidden(datasette, request, message):
    """On the public copy, a query of one's own explains in one sentence why not."""
    if "sql=" not in request.query_string:
        return None
    if request.path.endswith(".json"):
        return Response.json({"ok": False, "error": NO_SQL, "status": 403}, status=403)
    body = f"<!doctype html><meta charset=utf-8><title>403</title><p>{escape(NO_SQL)}</p>"
    return Response.html(body, status=403)


@hookimpl
def register_routes():
    return [
        (r"^/-/leaderboard$", leaderboard_page),
        (r"^/-/platform/(?P<slug>[^/]+)$", platform_page),
        (r"^/-/feed\.atom$", feed),
        (r"^/-/platform/(?P<slug>[^/]+)/feed\.atom$", feed),
        (r"^/-/probe/(?P<id>[^/]+)$", probe_page),
        (r"^/-/charts$", charts_page),
        (r"^/-/watchdog/charts\.js$", charts_js),
        (r"^/-/watchdog/watchdog\.css$", pages_css),
    ]
