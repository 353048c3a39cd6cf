"""kefu-watchdog's Datasette plugin: the pages people read (a leaderboard, a page per
platform, a page per probe with its transcript drawn as a chat), a charts page (bundled
JavaScript, inline SVG, no CDN), links from probes to their transcript and screenshot,
reasons as readable lists, and a SQL function for times in (simulated) seconds.

Every page speaks the reader's language: Chinese by default, English with `?_lang=en` (kept
in a cookie, so the links on from there stay English) or a browser that asks for English
first (Accept-Language); the switch on every page says which."""

from __future__ import annotations

import contextvars
import functools
import json
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from ..i18n import DEFAULT, EN, LANGUAGES, N_, ZH, duration_words, first_language, from_accept_language, translate
from ..reasons import word
from ..timescale import simulated_seconds
from .feed import FEED_SIZE, incidents_feed
from .follow_up_views import answered_share, left_figures, left_summary, message_left
from .ratings import DEFAULT_WINDOW_DAYS, FORMULA, Window, count_follow_ups, follow_ups_by_platform
from .views import INCIDENT_FLAGS, day_chart, days, figures, probe_summary, reasons, signals, transcript

CHARTS_JS = Path(__file__).parent / "charts.js"
PAGES_CSS = Path(__file__).parent / "watchdog.css"
LATEST = 20  # probes listed on a platform's page
INCIDENTS = 12
COOKIE = "watchdog_lang"
SWITCH = {ZH: "中文", EN: "English"}
# The language of the request being answered, for hooks that are not given the request.
REQUEST_LANGUAGE = contextvars.ContextVar("watchdog_request_language", default=DEFAULT)


def page_language(request) -> str:
    """?_lang=, else the cookie a switch set, else the browser's first language we speak."""
    if request is None:
        return first_language([])
    return _language(request.args.get("_lang"), request.headers.get("cookie"), request.headers.get("accept-language"))


def _language(asked: str | None, cookies: str | None, accepted: str | None) -> str:
    cookie = SimpleCookie(cookies or "")
    chosen = cookie[COOKIE].value if COOKIE in cookie else None
    return first_language([asked, chosen, from_accept_language(accepted)])


def language_switch(request, lang: str) -> Markup:
    """Links to this page in the other language (the current one shown, not linked)."""
    links = []
    for other in LANGUAGES:
        if other == lang:
            links.append(f"<strong>{SWITCH[other]}</strong>")
            continue
        query = parse_qs(request.query_string if request else "", keep_blank_values=True)
        query["_lang"] = ["en" if other == EN else "zh"]
        href = f"{request.path if request else '/'}?{urlencode(query, doseq=True)}"
        tag = other.replace("_", "-")
        links.append(f'<a href="{escape(href)}" hreflang="{tag}" lang="{tag}">{SWITCH[other]}</a>')
    return Markup(f'<span class="lang-switch">{" · ".join(links)}</span>')


@hookimpl
def prepare_jinja2_environment(env):
    """`_` on every page, also those rendered without the request (error pages): in the
    request's language, as the ASGI wrapper found it."""
    env.globals["_"] = lambda message: translate(REQUEST_LANGUAGE.get(), message)


@hookimpl
def extra_template_vars(request):
    lang = page_language(request)
    return {
        "lang": lang,
        "html_lang": lang.replace("_", "-"),
        "_": functools.partial(translate, lang),
        "lang_switch": language_switch(request, lang),
    }


@hookimpl
def asgi_wrapper(datasette):
    """Each request's language known to every hook; a switch's choice (?_lang=) kept in a
    cookie for the pages after it."""

    def wrap(app):
        async def remember_language(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            chosen = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("_lang", [None])[0]
            headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", [])}
            REQUEST_LANGUAGE.set(_language(chosen, headers.get("cookie"), headers.get("accept-language")))
            if chosen not in ("zh", "en"):
                return await app(scope, receive, send)

            async def with_cookie(event):
                if event["type"] == "http.response.start":
                    cookie = f"{COOKIE}={chosen}; Path=/; Max-Age=31536000; SameSite=Lax".encode("latin-1")
                    event = {**event, "headers": [*event.get("headers", []), (b"set-cookie", cookie)]}
                await send(event)

            return await app(scope, receive, with_cookie)

        return remember_language

    return wrap


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
    lang = REQUEST_LANGUAGE.get()
    if column == "screenshot" and (url := evidence_url(datasette, value)):
        return Markup(f'<a href="{escape(url)}">{escape(translate(lang, N_("screenshot")))}</a>')
    if (column == "probe_id" or (table == "probes" and column == "id")) and isinstance(value, str):
        href = f"/{database}/messages?probe_id={value}&_sort=seq"
        return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    if column == "reasons" and isinstance(value, str) and value.startswith("["):
        return Markup("<br>".join(str(escape(r)) for r in reasons(value, lang)))
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
    lang = page_language(request)
    ratings = await _rows(datasette, "select * from ratings order by rank is null, rank, platform")
    days_shown = ratings[0].get("window_days") if ratings else None
    window = translate(lang, N_("over the last %(days)s days")) % {"days": f"{days_shown:g}"} if days_shown else ""
    now = datetime.now(UTC)
    left = {
        slug: answered_share(count_follow_ups(rows, now), lang)
        for slug, rows in follow_ups_by_platform(await _follow_ups(datasette, days_shown)).items()
    }
    return await _render(
        datasette,
        request,
        "watchdog_leaderboard.html",
        {
            "rows": [figures(r, lang) for r in ratings],
            "left": left,
            "window": window,
            "formula": translate(lang, FORMULA),
        },
    )


async def _follow_ups(datasette, days: float | None, slug: str | None = None) -> list[dict[str, Any]]:
    """The follow-ups left (or tried) in the ratings' window, of one platform or all, oldest first."""
    only = "and platform = :slug" if slug else ""
    return await _rows(
        datasette,
        f"select * from follow_ups where submitted_at >= :since {only} order by submitted_at",
        {"since": Window(days or DEFAULT_WINDOW_DAYS).since(), "slug": slug},
    )


async def platform_page(datasette, request):
    lang = page_language(request)
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
        translate(lang, N_("promises a first response within %(waited)s")) % {"waited": duration_words(promise_s, lang)}
        if promise_s
        else translate(lang, N_("makes no public promise: measured against 15 min"))
    )
    incidents = [
        (probe_summary(p, lang), evidence_url(datasette, p.get("screenshot")))
        for p in probes
        if any(p.get(flag) for flag in INCIDENT_FLAGS)
    ][:INCIDENTS]
    left = await _follow_ups(datasette, window, slug)
    return await _render(
        datasette,
        request,
        "watchdog_platform.html",
        {
            "f": figures(row, lang),
            "promise": promise,
            "chart": Markup(day_chart(list(reversed(days(probes))), lang)),
            "incidents": incidents,
            "latest": [probe_summary(p, lang) for p in probes[:LATEST]],
            "left": left_figures(count_follow_ups(left, datetime.now(UTC)), lang) if left else None,
            "left_latest": [left_summary(f, lang) for f in reversed(left[-LATEST:])],
            "url": platform[0].get("url"),
        },
    )


async def probe_page(datasette, request):
    lang = page_language(request)
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
    follow_up = await _rows(datasette, "select * from follow_ups where probe_id = :id limit 1", {"id": probe_id})
    left = None
    if follow_up:
        replies = await _rows(
            datasette,
            "select * from follow_up_replies where follow_up = :tag order by received_at",
            {"tag": follow_up[0]["id"]},
        )
        left = message_left(follow_up[0], replies, lang)
    return await _render(
        datasette,
        request,
        "watchdog_probe.html",
        {
            "s": probe_summary(probe, lang),
            "signals": signals(probe, lang),
            "slug": probe["platform"],
            "name": probe.get("platform_name") or probe["platform"],
            "claimed": _claimed(probe, lang),
            "bubbles": transcript(probe, messages, lang),
            "screenshot": evidence_url(datasette, probe.get("screenshot")),
            "url": probe.get("url"),
            "vantage": probe.get("vantage"),
            "left": left,
            "form_screenshot": evidence_url(datasette, follow_up[0].get("screenshot")) if follow_up else None,
        },
    )


def _claimed(probe: dict[str, Any], lang: str) -> str:
    status = probe.get("claimed_status")
    if not status:
        return "—"
    words = word(f"status.{status}", lang) if status != "unknown" else translate(lang, N_("nothing shown"))
    shown = probe.get("claimed_status_text")
    if shown and shown != words:
        return translate(lang, N_("%(status)s (it showed “%(shown)s”)")) % {"status": words, "shown": shown}
    return words


async def pages_css(datasette, request):
    return Response(PAGES_CSS.read_text(encoding="utf-8"), content_type="text/css; charset=utf-8")


async def charts_js(datasette, request):
    return Response(CHARTS_JS.read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8")


INCIDENTS_SQL = (
    f"select p.id, p.platform, p.started_at, {', '.join('p.' + flag for flag in INCIDENT_FLAGS)}, p.reasons, f.name "
    "from probes p join platforms f on f.slug = p.platform "
    f"where ({' or '.join(f'p.{flag} = 1' for flag in INCIDENT_FLAGS)}) {{only}} "
    "order by p.started_at desc limit {size}"
)


async def feed(datasette, request):
    slug = request.url_vars.get("slug")
    if slug is not None and not await _rows(datasette, "select slug from platforms where slug = :slug", {"slug": slug}):
        raise NotFound(f"no platform {slug}")
    only = "and p.platform = :slug" if slug else ""
    rows = await _rows(datasette, INCIDENTS_SQL.format(only=only, size=FEED_SIZE), {"slug": slug} if slug else {})
    lang = page_language(request)
    base = f"{request.scheme}://{request.host}"
    if slug:
        name = rows[0]["name"] if rows else slug
        path, title = f"/-/platform/{slug}/feed.atom", translate(lang, N_("%(name)s: incidents")) % {"name": name}
    else:
        path, title = "/-/feed.atom", translate(lang, N_("incidents (fake online, bot loops)"))
    body = incidents_feed(base, path, f"kefu-watchdog: {title}", rows, lang)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


NO_SQL = N_(
    "Arbitrary SQL is switched off on this published copy: use its tables, its saved queries and its pages, "
    "or run `watchdog serve` on a copy of the database you hold."
)


@hookimpl
def forbidden(datasette, request, message):
    """On the public copy, a query of one's own explains in one sentence why not."""
    if "sql=" not in request.query_string:
        return None
    said = translate(page_language(request), NO_SQL)
    if request.path.endswith(".json"):
        return Response.json({"ok": False, "error": said, "status": 403}, status=403)
    body = f"<!doctype html><meta charset=utf-8><title>403</title><p>{escape(said)}</p>"
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
