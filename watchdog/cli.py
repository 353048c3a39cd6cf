"""The `watchdog` command: a thin layer over the library. Data goes to stdout, messages to
stderr; our own faults end with one clear line and a non-zero exit, platform failures never.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import click

from . import __version__, i18n
from .accuracy import run_accuracy
from .alerts import DEFAULT_PATH as ALERTS_PATH
from .alerts import Change, announce, changes, load_alerts, parse_alerts
from .config import SLUG_PATTERN, Catalog, Platform, Problem, load_catalog, parse_duration, presets
from .demo import run_demo
from .errors import ConfigError, StoreError, WatchdogError
from .followups import settled_line
from .formatting import for_terminal, format_table, percent_or_dash
from .mailbox import DEFAULT_PATH as MAILBOX_PATH
from .mailbox import check as check_mailbox
from .mailbox import load_mailbox
from .probe.discoverer import discover_urls
from .probe.discovery import platform_toml, slug_for, toml_value
from .probe.inspect import check_all_live
from .progress import Progress
from .publish.datasette import build_datasette, public_dir, public_snapshot
from .publish.export import KINDS as EXPORT_COLUMNS
from .publish.export import export_csv
from .publish.ratings import FORMULA, Window, compute_ratings
from .reasons import word
from .reasons import words as reason_words
from .records import FLAGS, ProbeRecord
from .runner import probe_platforms
from .sandbox import FORM_SCENARIOS, SCENARIOS, Sandbox, write_probes
from .scheduler import ScheduleRunner, run_until_signalled
from .schedules import load_schedules
from .serving import ServerThread
from .store import Store, evidence_dir, open_store, remove_database
from .store.claims import plan
from .store.merge import check_sources
from .store.merge import merge as merge_databases
from .timescale import simulated_seconds
from .verdicts.revisions import Revision
from .verdicts.revisions import reclassify as reclassify_probes

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
# A site any probing machine in China should reach; override for other vantages or offline use.
DEFAULT_CONTROL_URL = "https://www.baidu.com/"
REFRESH_S = 60.0  # serve --public brings its snapshot up to date this often


def said(message: str, **values: Any) -> str:
    """A message for people in the locale's language (i18n.terminal_language)."""
    return i18n.translate(i18n.terminal_language(), message) % values


def echo(text: str, err: bool = False) -> None:
    """Print a line: page text in it (status texts, replies) can never act on the terminal."""
    click.echo(for_terminal(text), err=err)


def probes_option(command):
    return click.option(
        "--probes",
        "probes_dir",
        type=click.Path(path_type=Path),
        default="probes",
        show_default=True,
        help="Folder of platform files (<slug>.toml).",
    )(command)


def db_option(command):
    return click.option(
        "--db",
        "db_path",
        type=click.Path(path_type=Path),
        default="watchdog.db",
        show_default=True,
        help="SQLite database file.",
    )(command)


def lang_option(command):
    """--lang zh|en: the language of words for people (default: Chinese)."""
    return click.option(
        "--lang",
        type=click.Choice(["zh", "en"]),
        default="zh",
        show_default=True,
        callback=lambda ctx, param, value: i18n.language(value),
        help="Language of headers and reasons: zh (中文) or en (the plain column names, stable for scripts).",
    )(command)


def vantage_option(command):
    return click.option("--vantage", help="Name of this probing machine (default: the host name).")(command)


def control_url_option(command):
    """--control-url, given to the library as None for 'none'."""
    return click.option(
        "--control-url",
        envvar="WATCHDOG_CONTROL_URL",
        default=DEFAULT_CONTROL_URL,
        show_default=True,
        callback=lambda ctx, param, value: None if value == "none" else value,
        help="Loaded when a platform's page fails: if it fails too, the fault is our network "
        "(probe_error), not the platform's. 'none' to skip. Env: WATCHDOG_CONTROL_URL.",
    )(command)


@contextlib.contextmanager
def opened(db_path: Path, *, existing: bool = False) -> Iterator[Store]:
    """`open_store`, saying on stderr when probes of a dead process were marked interrupted."""
    with open_store(db_path, existing=existing) as store:
        if store.interrupted:
            echo(f"marked {len(store.interrupted)} probe(s) of an earlier run as interrupted", err=True)
        yield store


def duration_type(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version")
def cli() -> None:
    """kefu-watchdog: do virtual-goods platforms (卡盟) really answer their customers?"""


def _errors_as_messages(function):
    """Our own faults become one `Error: ...` line and exit status 1, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except WatchdogError as e:
            raise click.ClickException(for_terminal(str(e))) from None

    return wrapper


def schedules_option(command):
    return click.option(
        "--schedules",
        "schedules_dir",
        type=click.Path(path_type=Path),
        default="schedules",
        show_default=True,
        help="Folder of schedule files (<name>.toml).",
    )(command)


def alerts_option(command):
    return click.option(
        "--alerts",
        "alerts_path",
        type=click.Path(path_type=Path),
        default=str(ALERTS_PATH),
        show_default=True,
        help="Alerts file (Apprise URLs and rules); none there: no alerts.",
    )(command)


def mailbox_option(command):
    return click.option(
        "--mailbox",
        "mailbox_path",
        type=click.Path(path_type=Path),
        default=str(MAILBOX_PATH),
        show_default=True,
        help="The mailbox follow-ups are answered at (IMAP; the password from the environment or a file).",
    )(command)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("slugs", nargs=-1)
@probes_option
@schedules_option
@alerts_option
@click.option(
    "--live", is_flag=True, help="Also try each platform file on its page (sending nothing, recording nothing)."
)
@click.option(
    "--screenshot",
    "screenshot_dir",
    type=click.Path(path_type=Path),
    help="With --live: save a picture per platform, each found element boxed and labelled.",
)
@_errors_as_messages
def check(
    slugs: tuple[str, ...],
    probes_dir: Path,
    schedules_dir: Path,
    alerts_path: Path,
    live: bool,
    screenshot_dir: Path | None,
) -> None:
    """Validate every platform file, question set, schedule file and the alerts file; print each problem as
    `path: field: message`. With --live (for the SLUGS given, else every platform): load each
    page, read the status, open the chat and look up every selector, typing nothing and
    recording nothing; exit 1 if a field a probe needs (open, frame, input, send) is missing."""
    if (slugs or screenshot_dir) and not live:
        raise ConfigError("platform names and --screenshot go with --live")
    catalog = load_catalog(probes_dir)
    problems = list(catalog.problems)
    summary = (
        f"{catalog.files} platform file(s), {len(catalog.platforms)} valid; "
        f"{len(catalog.question_sets)} question set(s)"
    )
    if schedules_dir.is_dir():
        schedule_set = load_schedules(schedules_dir, catalog)
        problems += schedule_set.problems
        summary += f"; {schedule_set.files} schedule file(s), {len(schedule_set.schedules)} valid"
    if alerts_path.exists():
        alert_problems: list[Problem] = []
        parse_alerts(alerts_path, alert_problems)
        problems += alert_problems
        summary += f"; alerts {'invalid' if alert_problems else 'valid'}"
    for problem in problems:
        echo(str(problem))
    echo(f"{summary}; {len(problems)} problem(s)", err=True)
    for preset in presets().values():
        where = f"{preset.source}, checked at {preset.checked}"
        echo(f'preset widget = "{preset.name}": {preset.title} ({where})', err=True)
    failed = bool(problems)
    if live:
        platforms = _select(catalog, slugs, not slugs, probes_dir)
        failed = _check_live(platforms, screenshot_dir) or failed
    if failed:
        sys.exit(1)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("url")
@click.option("--slug", help="The platform file's name (default: from the site's address).")
@probes_option
@click.option(
    "--screenshot",
    type=click.Path(path_type=Path),
    help="Save the page with a labelled box around each element found (a .png file).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing platform file.")
@_errors_as_messages
def discover(url: str, slug: str | None, probes_dir: Path, screenshot: Path | None, force: bool) -> None:
    """Find the chat on a platform's page and write PROBES/SLUG.toml, each field with a comment
    saying how it was found; print what was found. Types nothing and sends nothing (the only
    clicks are on what looks like the chat's entry); writes nothing, and exits 1, when no chat
    is found."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{url}: not an http:// or https:// address")
    slug = slug or slug_for(url)
    if not SLUG_PATTERN.match(slug):
        raise ConfigError(f"--slug {slug}: use lowercase letters, digits, - or _")
    path = probes_dir / f"{slug}.toml"
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists; pass --force to overwrite it, or --slug to write another file")
    found = asyncio.run(discover_urls([url], screenshot))[0]
    if not found.found:
        echo(said(i18n.N_("%(url)s: %(error)s; nothing written"), url=url, error=found.error), err=True)
        sys.exit(1)
    N_ = i18n.N_
    sure = {"sure": N_("sure"), "likely": N_("likely"), "guess": N_("guess"), "preset": N_("preset")}
    rows = [
        [
            f"chat.{f.field}",
            " / ".join(f.value) if isinstance(f.value, tuple) else f.value,
            said(sure.get(f.sure, f.sure)),
            f.how,  # what was seen, as discovery words it (and the platform file's comments say it)
        ]
        for f in found.findings
    ]
    if found.widget:
        rows.insert(0, ["widget", found.widget, said(N_("sure")), said(N_("its scripts or elements"))])
    if not found.widget:
        learned = said(N_("(learned at the first probe)"))
        rows.append(
            ["chat.message", learned, "-", said(N_("next to the input: %(hint)s"), hint=found.list_hint or "?")]
        )
    echo(format_table([said(N_("field")), said(N_("selector")), said(N_("how sure")), said(N_("how found"))], rows))
    probes_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(platform_toml(found, slug), encoding="utf-8")
    echo(said(N_("wrote %(path)s"), path=path), err=True)
    if screenshot is not None:
        echo(said(N_("labelled screenshot %(path)s"), path=screenshot), err=True)
    then = said(
        N_("next: %(check)s, then %(probe)s"),
        check=f"watchdog check --live {slug} --probes {probes_dir}",
        probe=f"watchdog probe {slug} --probes {probes_dir}",
    )
    echo(then, err=True)


def _check_live(platforms: list[Platform], screenshot_dir: Path | None) -> bool:
    """Print each platform's live check; True if any failed."""
    N_ = i18n.N_
    results = {"ok": N_("ok"), "missing": N_("missing"), "none yet": N_("none yet"), "not reached": N_("not reached")}
    checks = asyncio.run(check_all_live(platforms, screenshot_dir))
    for check in checks:
        rows = []
        for f in check.fields:
            result = said(results.get(f.result, f.result))
            rows.append([f"chat.{f.field}", f.selector, f.found, f.visible, result.upper() if f.failed else result])
        echo(said(N_("%(platform)s: status %(status)s"), platform=check.platform, status=check.claimed or "-"))
        if rows:
            headers = [said(name) for name in (N_("field"), N_("selector"), N_("found"), N_("visible"))]
            echo(format_table([*headers, said(N_("result"))], rows))
        if check.error:
            echo(f"{check.platform}: {check.error}")
        if check.screenshot:
            echo(f"{check.platform}: " + said(N_("labelled screenshot %(path)s"), path=check.screenshot), err=True)
        echo("")
    failed = [c.platform for c in checks if c.failed]
    usable = said(
        N_("live: %(usable)s of %(count)s platform(s) usable"), usable=len(checks) - len(failed), count=len(checks)
    )
    if failed:
        usable += said(N_("; not usable: %(slugs)s"), slugs=", ".join(failed))
    echo(usable, err=True)
    return bool(failed)


def _select(catalog: Catalog, slugs: tuple[str, ...], every: bool, probes_dir: Path) -> list[Platform]:
    if not slugs and not every:
        raise ConfigError("name the platforms to probe (their slugs), or pass --all")
    if every:
        return list(catalog.platforms.values())
    broken = {Path(p.path).stem for p in catalog.problems}
    unknown = [s for s in slugs if s not in catalog.platforms and s not in broken]
    if unknown:
        raise ConfigError(
            f"no platform file {probes_dir / (unknown[0] + '.toml')} "
            f"(known: {', '.join(sorted(catalog.platforms)) or 'none'})"
        )
    return [catalog.platforms[s] for s in slugs if s in catalog.platforms]


def _as_read(ms: float | None, time_scale: float, lang: str) -> str:
    """A measured time in the seconds the reasons speak (simulated on sandbox platforms)."""
    seconds = simulated_seconds(ms, time_scale)
    return "-" if seconds is None else i18n.translate(lang, i18n.N_("%(seconds)s s")) % {"seconds": f"{seconds:.1f}"}


def _headers(lang: str, *names: str) -> list[str]:
    return [i18n.translate(lang, name) for name in names]


def _summary(results: list[ProbeRecord], lang: str) -> str:
    rows = []
    for r in results:
        flags = [word(f"flag.{name}", lang) if lang != i18n.EN else name for name in FLAGS if getattr(r, name)]
        flags += [i18n.translate(lang, i18n.N_("needs review"))] if r.needs_review else []
        rows.append(
            [
                r.platform,
                r.outcome if lang == i18n.EN else word(f"outcome.{r.outcome}", lang),
                r.claimed_status if lang == i18n.EN else word(f"status.{r.claimed_status}", lang),
                _as_read(r.first_reply_ms, r.time_scale, lang),
                _as_read(r.first_human_ms, r.time_scale, lang),
                r.platform_messages,
                i18n.translate(lang, i18n.N_("yes") if r.handoff_sent else i18n.N_("no")),
                " ".join(flags),
            ]
        )
    N_ = i18n.N_
    headers = _headers(
        lang, N_("platform"), N_("outcome"), N_("claimed"), N_("first reply"), N_("first human"), N_("replies")
    )
    return format_table([*headers, "转人工", i18n.translate(lang, N_("flags"))], rows)


LEFT_NOTES = ("message_left", "message_not_left", "message_left_lately")


def run_probes(
    catalog: Catalog, platforms: list[Platform], store: Store, *, as_json: bool, **options: Any
) -> list[ProbeRecord]:
    """Probe, printing a line per finished probe to stderr (or a JSON object to stdout), and a
    progress bar when stderr is a terminal."""
    progress = Progress(sys.stderr, total=len(platforms))
    lang = i18n.terminal_language()
    reads_configured = {platform.slug: platform.chat.read is not None for platform in platforms}

    def skip(slug: str, why: str) -> None:
        progress.skipped(f"skipped {slug}: {why}")

    def report(result: ProbeRecord) -> None:
        progress.done(result.platform)
        if as_json:
            echo(json.dumps(result.as_json(), ensure_ascii=False))
        progress.message(result.line(lang))
        for note in result.notes:  # what became of the message left on its form, if one was due
            if getattr(note, "code", None) in LEFT_NOTES:
                progress.message(f"{result.platform}: {reason_words(note, lang)}")
        if result.learned_message:
            visitor = f'\n  visitor = "{result.learned_visitor}"' if result.learned_visitor else ""
            learned = i18n.N_("%(slug)s: learned from our question; to keep it, put under [chat] in %(slug)s.toml:")
            said = i18n.translate(lang, learned) % {"slug": result.platform}
            progress.message(f'{said}\n  message = "{result.learned_message}"{visitor}')
        if result.read_by and not reads_configured.get(result.platform):
            learned = i18n.N_(
                "%(slug)s: saw our question turn read; to keep the mark, put under [chat] in %(slug)s.toml:"
            )
            said = i18n.translate(lang, learned) % {"slug": result.platform}
            progress.message(f"{said}\n  read = {toml_value(result.read_by)}")

    def revised(earlier: ProbeRecord) -> None:
        progress.message(f"{earlier.platform}: revised probe {earlier.id} to {earlier.outcome} ({earlier.notes[-1]})")

    def alerted(change: Change, delivery: str) -> None:
        progress.message(f"alert: {change.text} ({delivery})")

    try:
        results = asyncio.run(
            probe_platforms(
                platforms,
                catalog,
                store,
                on_skip=skip,
                on_start=progress.start,
                on_result=report,
                on_revised=revised,
                on_alert=alerted,
                **options,
            )
        )
    finally:
        progress.close()
    if results and not as_json:
        echo(_summary(results, i18n.terminal_language()))
    return results


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("slugs", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Probe every platform in the probes folder.")
@probes_option
@db_option
@click.option("--tag", help="Label stored with each probe, e.g. peak or offpeak.")
@vantage_option
@click.option(
    "--concurrency",
    type=click.IntRange(1, 500),
    default=8,
    show_default=True,
    help="Probes running at once in the one browser.",
)
@click.option("--max-wait", "max_wait", help="Override every platform's max_wait, e.g. 10m.")
@control_url_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per probe on stdout.")
@click.option("--dry-run", is_flag=True, help="List what would be probed and why the others would not; probe nothing.")
@click.option(
    "--promised-hours-only", is_flag=True, help="Skip platforms outside the service hours they promise (promise.hours)."
)
@click.option(
    "--ignore-min-interval",
    is_flag=True,
    help="Probe even platforms probed less than their min_interval ago (testing only).",
)
@alerts_option
@mailbox_option
@_errors_as_messages
def probe(
    slugs: tuple[str, ...],
    every: bool,
    probes_dir: Path,
    db_path: Path,
    tag: str | None,
    vantage: str | None,
    concurrency: int,
    max_wait: str | None,
    control_url: str | None,
    as_json: bool,
    dry_run: bool,
    promised_hours_only: bool,
    ignore_min_interval: bool,
    alerts_path: Path,
    mailbox_path: Path,
) -> None:
    """Probe platforms: open each chat in Chromium, ask the standard question, record
    every reply in the database. Exits 0 when platforms fail (that is data).

    Safe under cron: a platform probed less than its min_interval ago, or being probed by
    another run, is skipped (and said so). With a mailbox file, a platform whose chat is
    offline gets our question on its 留言 form, at most once a day (see follow-up)."""
    max_wait_s = duration_type(max_wait)
    alerts = load_alerts(alerts_path)
    mailbox = load_mailbox(mailbox_path) if mailbox_path.exists() else None
    catalog = load_catalog(probes_dir)
    if catalog.files == 0:
        raise ConfigError(f"{probes_dir}: no platform files (*.toml) to probe")
    for problem in catalog.problems:
        echo(f"skipped: {problem}", err=True)
    platforms = _select(catalog, slugs, every, probes_dir)
    with opened(db_path) as store:
        if dry_run:
            decided = plan(
                store, platforms, ignore_min_interval=ignore_min_interval, promised_hours_only=promised_hours_only
            )
            echo(
                format_table(
                    ["platform", "would probe", "why not"],
                    [[p.slug, "yes", ""] for p in decided.due] + [[slug, "no", why] for slug, why in decided.skipped],
                )
            )
            plan_said = i18n.N_("%(due)s to probe, %(skipped)s skipped (dry run: nothing probed)")
            echo(said(plan_said, due=len(decided.due), skipped=len(decided.skipped)), err=True)
        elif platforms:
            run_probes(
                catalog,
                platforms,
                store,
                as_json=as_json,
                concurrency=concurrency,
                tag=tag,
                vantage=vantage,
                max_wait_s=max_wait_s,
                control_url=control_url,
                ignore_min_interval=ignore_min_interval,
                promised_hours_only=promised_hours_only,
                alerts=alerts,
                contact=mailbox.contact if mailbox else None,
            )
    if catalog.problems:
        raise ConfigError(f"{len(catalog.problems)} problem(s) in platform files: run `watchdog check`")


@cli.command(context_settings=CONTEXT_SETTINGS)
@schedules_option
@probes_option
@db_option
@vantage_option
@control_url_option
@alerts_option
@mailbox_option
@_errors_as_messages
def schedule(
    schedules_dir: Path,
    probes_dir: Path,
    db_path: Path,
    vantage: str | None,
    control_url: str | None,
    alerts_path: Path,
    mailbox_path: Path,
) -> None:
    """Run the schedule files until SIGTERM or Ctrl-C: one log line per probe outcome.

    Missed runs are coalesced, a schedule never overlaps itself, and min_interval holds
    across schedules and other processes. Platform files are re-read at every run. With a
    mailbox file, its follow-ups are read every 15 minutes too."""
    alerts = load_alerts(alerts_path)
    mailbox = load_mailbox(mailbox_path) if mailbox_path.exists() else None
    catalog = load_catalog(probes_dir)
    schedule_set = load_schedules(schedules_dir, catalog)
    if schedule_set.problems:
        for problem in schedule_set.problems:
            echo(str(problem), err=True)
        raise ConfigError(
            f"{len(schedule_set.problems)} problem(s) in schedule files: fix them, then check with `watchdog check`"
        )
    if not schedule_set.schedules:
        raise ConfigError(f"{schedules_dir}: no schedule files (*.toml) to run")

    def log(line: str) -> None:
        echo(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {line}", err=True)

    with opened(db_path) as store:
        runner = ScheduleRunner(
            schedule_set.schedules, probes_dir, store, vantage=vantage, control_url=control_url, log=log,
            alerts=alerts, mailbox=mailbox,
        )  # fmt: skip
        run_until_signalled(runner)
    log("stopped")


def since_type(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """A date or ISO time (UTC unless it says otherwise) as the store compares them: '' for none."""
    if value is None:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date or time: give YYYY-MM-DD or an ISO time such as 2026-12-04T10:15:00Z"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@contextlib.contextmanager
def terminated_as_interrupted() -> Iterator[None]:
    """SIGTERM (a service manager, `timeout`, `kill`) stops as Ctrl-C does: a KeyboardInterrupt."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@cli.command(context_settings=CONTEXT_SETTINGS)
@db_option
@click.option("--platform", metavar="SLUG", help="Only this platform's probes.")
@click.option(
    "--since",
    metavar="DATE",
    callback=since_type,
    help="Only probes started at or after this date or time (UTC unless it says otherwise), "
    "e.g. 2026-12-01 or 2026-12-01T08:00:00Z.",
)
@click.option(
    "--after",
    "after",
    metavar="PROBE_ID",
    default="",
    help="Only probes whose id comes after this one (ids sort in time order): to resume a run "
    "that was interrupted, with the id it printed.",
)
@_errors_as_messages
def reclassify(db_path: Path, platform: str | None, since: str, after: str) -> None:
    """Recompute the verdicts of stored probes with the current rules, without probing again.

    Probes are done in id order (the order they started) and committed a batch at a time, with
    a progress bar on a terminal (a line every 30 s elsewhere). Ctrl-C (or SIGTERM) keeps what
    was done and prints the id to resume after with --after."""
    revision = Revision()
    with opened(db_path, existing=True) as store, terminated_as_interrupted():
        progress = Progress(sys.stderr, total=store.finished_count(after, platform=platform, since=since))
        progress.reached(0)
        try:
            reclassify_probes(
                store,
                platform,
                since=since,
                after=after,
                revision=revision,
                # The log lines name the last probe committed; the bar moves with every probe.
                on_batch=lambda done: progress.reached(done.probes, f"up to {done.last}"),
                on_probe=(lambda done: progress.reached(done.probes)) if progress.on_terminal else None,
            )
        except KeyboardInterrupt:
            progress.close()
            echo(str(revision), err=True)
            if revision.last:
                echo(f"interrupted after {revision.last}; resume with --after {revision.last}", err=True)
            else:
                echo("interrupted before the first probe was done: nothing to resume from", err=True)
            raise SystemExit(130) from None
        progress.close()
    echo(str(revision), err=True)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--seeds",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="Sandbox runs, each with its own random timings and wording.",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path),
    help="Keep the probes in this database (default: a temporary one).",
)
@click.option("--time-scale", type=click.FloatRange(min=0.001), default=0.02, show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 500), default=32, show_default=True)
@click.option(
    "--platform",
    "only",
    multiple=True,
    metavar="GLOB",
    help="Only the sandbox platforms matching this (repeatable; e.g. 'read-*'). Default: all.",
)
@_errors_as_messages
def accuracy(seeds: int, db_path: Path | None, time_scale: float, concurrency: int, only: tuple[str, ...]) -> None:
    """Score the verdicts against the sandbox's ground truth: confusion matrix of message
    kinds, outcome accuracy, precision and recall of every flag, and the read time."""
    with tempfile.TemporaryDirectory() as folder, opened(db_path or Path(folder) / "accuracy.db") as store:
        report = run_accuracy(
            seeds,
            store,
            time_scale=time_scale,
            concurrency=concurrency,
            only=only or ("*",),
            on_seed=lambda seed: echo(f"seed {seed}/{seeds} ...", err=True),
        )
    echo(report.format())


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8700, show_default=True, help="0 picks a free port.")
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0.001),
    default=1.0,
    show_default=True,
    help="Multiply every simulated delay by this (0.02: 5 minutes take 6 s).",
)
@click.option("--seed", type=int, help="Vary delays by up to ±20%, reproducibly for this seed.")
@click.option(
    "--write-probes",
    "write_probes_dir",
    type=click.Path(path_type=Path),
    help="Write a platform file per sandbox platform into this folder.",
)
@click.option(
    "--lmtp",
    metavar="HOST:PORT",
    help="Deliver the offline-form platforms' e-mail answers to this LMTP server (your mailbox's), "
    "and write their platform files too.",
)
def sandbox(
    host: str, port: int, time_scale: float, seed: int | None, write_probes_dir: Path | None, lmtp: str | None
) -> None:
    """Serve the simulated platforms (known behaviour, ground truth at /truth) until Ctrl-C."""
    delivery = None
    if lmtp:
        lmtp_host, _, lmtp_port = lmtp.rpartition(":")
        if not lmtp_host or not lmtp_port.isdigit():
            raise click.BadParameter(f"{lmtp!r}: like 127.0.0.1:24", param_hint="--lmtp")
        delivery = (lmtp_host, int(lmtp_port))
    server = Sandbox(host, port, time_scale, seed=seed, lmtp=delivery).start()
    echo(f"sandbox: {server.url}/ (time scale {time_scale}; ground truth at {server.url}/truth)", err=True)
    if write_probes_dir:
        served = SCENARIOS + FORM_SCENARIOS if delivery else SCENARIOS
        written = write_probes(write_probes_dir, server.url, time_scale, served)
        echo(f"wrote {len(written)} platform files to {write_probes_dir}", err=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def leaderboard(rows: list[dict[str, Any]], lang: str) -> str:
    table = [
        [
            r["rank"] or "-",
            r["name"],
            r["platform"],
            r["grade"],
            "-" if r["score"] is None else r["score"],
            r["probes"],
            percent_or_dash(r["human_rate"]),
            percent_or_dash(r["fake_online_rate"]),
            percent_or_dash(r["bot_loop_rate"]),
            "-" if r["first_human_median_s"] is None else f"{r['first_human_median_s']:g} s",
        ]
        for r in rows
    ]
    N_ = i18n.N_
    headers = _headers(lang, N_("rank"), N_("name"), N_("platform"), N_("grade"), N_("score"), N_("probes"))
    headers += _headers(lang, N_("human"), N_("fake online"), N_("bot loop"), N_("median to human"))
    return format_table(headers, table)


@cli.command("follow-up", context_settings=CONTEXT_SETTINGS)
@db_option
@mailbox_option
@alerts_option
@_errors_as_messages
def follow_up(db_path: Path, mailbox_path: Path, alerts_path: Path) -> None:
    """Read the mailbox for answers to the messages left on platforms' forms (留言 / 工单): a
    line for each follow-up answered by a person, or closed after 7 days without one; then the
    ratings and alerts of those platforms."""
    alerts = load_alerts(alerts_path)
    with opened(db_path, existing=True) as store:
        settled = check_mailbox(store, load_mailbox(mailbox_path), datetime.now(UTC))
        if settled and alerts is not None:
            for change, delivery in asyncio.run(announce(store, alerts)):
                echo(f"alert: {change.text} ({delivery})", err=True)
        waiting = len(store.pending_follow_ups())
    for done in settled:
        echo(settled_line(done))
    echo(f"follow-ups: {len(settled)} settled, {waiting} waiting", err=True)


@cli.command(context_settings=CONTEXT_SETTINGS)
@db_option
@click.option("--window", default="30d", show_default=True, help="Rate the probes of this last period.")
@_errors_as_messages
def ratings(db_path: Path, window: str) -> None:
    """Recompute the ratings and print the leaderboard."""
    days = (duration_type(window) or 0) / 86400
    with opened(db_path, existing=True) as store:
        rows = compute_ratings(store, Window(days))
    echo(leaderboard(rows, i18n.terminal_language()))
    echo(FORMULA, err=True)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("what", type=click.Choice(sorted(EXPORT_COLUMNS)))
@db_option
@click.option("--platform", help="Only this platform (its slug).")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only probes started on or after this date (UTC), e.g. 2026-11-01.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file (default: stdout).")
@click.option("--no-bom", is_flag=True, help="Leave out the UTF-8 BOM that Excel needs to show Chinese.")
@click.option(
    "--unmasked",
    is_flag=True,
    help="Keep phone numbers, QQ/WeChat ids, staff names and screenshot paths (masked by default, as published).",
)
@lang_option
@_errors_as_messages
def export(
    what: str,
    db_path: Path,
    platform: str | None,
    since: datetime | None,
    output: Path | None,
    no_bom: bool,
    unmasked: bool,
    lang: str,
) -> None:
    """Export ratings, probes or messages as CSV (UTF-8 with a BOM, for Excel), personal data
    masked as on the public site. Ratings are those published (the last 30 days), or computed
    over the probes since --since."""
    if unmasked:
        echo("warning: --unmasked: this file holds personal data (phone numbers, ids, names): do not share", err=True)
    with opened(db_path, existing=True) as store:
        if platform is not None and platform not in {p["slug"] for p in store.platforms()}:
            raise ConfigError(f"--platform {platform}: no such platform in {db_path} (see `watchdog ratings`)")
        if output:
            with output.open("w", encoding="utf-8", newline="") as f:
                count = export_csv(store, what, f, platform, since, masked=not unmasked, bom=not no_bom, lang=lang)
            echo(said(i18n.N_("wrote %(count)s row(s) to %(path)s"), count=count, path=output), err=True)
        else:
            export_csv(store, what, sys.stdout, platform, since, masked=not unmasked, bom=not no_bom, lang=lang)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The combined database (created if missing; merging into it again is safe).",
)
@_errors_as_messages
def merge(sources: tuple[Path, ...], output: Path) -> None:
    """Combine the databases of several probing machines (each probe keeps its vantage),
    then recompute the ratings. Merging the same files twice changes nothing."""
    check_sources(list(sources), output)
    new = not output.exists()
    try:
        with opened(output) as store:
            for count in merge_databases(list(sources), store):
                echo(str(count), err=True)
            compute_ratings(store)
    except BaseException:
        if new:  # written without a journal (store/merge.py), and nothing recorded there before
            remove_database(output)
            shutil.rmtree(evidence_dir(output), ignore_errors=True)
            echo(said(i18n.N_("merge failed: %(path)s removed"), path=output), err=True)
        raise
    echo(said(i18n.N_("ratings recomputed in %(path)s"), path=output), err=True)


@cli.command(context_settings=CONTEXT_SETTINGS)
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 to serve other machines.")
@click.option("--port", type=int, default=8001, show_default=True)
@click.option(
    "--public", is_flag=True, help="Publishing mode: no arbitrary SQL, private columns left out, personal data masked."
)
@_errors_as_messages
def serve(db_path: Path, host: str, port: int, public: bool) -> None:
    """Publish the database with Datasette: ratings, canned queries, charts, evidence."""
    datasette = build_datasette(db_path, public=public)
    refresh = functools.partial(public_snapshot, db_path, public_dir(db_path)) if public else None
    _serve_until_interrupted(datasette, host, port, "public, masked" if public else "read-only", refresh)


def _serve_until_interrupted(datasette, host: str, port: int, mode: str, refresh: Callable[[], int] | None) -> None:
    """Serve until Ctrl-C or SIGTERM, calling `refresh` (the public snapshot's) every
    REFRESH_S meanwhile, so that the site shows new probes without a restart."""
    stopped = threading.Event()
    # Both signals only set the event (no KeyboardInterrupt raised wherever the main thread
    # happens to be), so the server always shuts down the same way.
    previous = {number: signal.signal(number, lambda *_: stopped.set()) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        with ServerThread(datasette.app(), host, port) as server:
            echo(f"{server.url}/  ({mode}; Ctrl-C to stop)")
            while not stopped.wait(REFRESH_S if refresh else None):
                try:
                    if refresh is not None:
                        refresh()
                except StoreError as e:
                    echo(f"{e}; trying again in {REFRESH_S:.0f} s", err=True)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@cli.command(name="alerts", context_settings=CONTEXT_SETTINGS)
@db_option
@alerts_option
@click.option("--dry-run", is_flag=True, help="Show what would be sent; record and send nothing.")
@_errors_as_messages
def alerts_command(db_path: Path, alerts_path: Path, dry_run: bool) -> None:
    """Record and send the state changes of the database as it stands (`probe` and `schedule`
    do this after every run): a platform turned fake-online or a bot loop in N of its last M
    probes, stopped answering, or recovered. Each change is sent once."""
    alerts = load_alerts(alerts_path)
    if alerts is None:
        raise ConfigError(f"{alerts_path}: no alerts file (see the README, Alerts)")
    with opened(db_path) as store:
        if dry_run:
            names = {row["slug"]: row["name"] for row in store.platforms()}
            found = [(change, "dry run: not sent") for change in changes(store, alerts, names)]
        else:
            found = asyncio.run(announce(store, alerts))
    for change, delivery in found:
        echo(f"{change.text} ({delivery})")
    dry = i18n.N_("%(count)s state change(s) (dry run: nothing recorded or sent)")
    echo(said(dry if dry_run else i18n.N_("%(count)s state change(s)"), count=len(found)), err=True)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path),
    default="demo.db",
    show_default=True,
    help="SQLite database for the demo (made afresh).",
)
@click.option(
    "--rounds",
    type=click.IntRange(1, 50),
    default=6,
    show_default=True,
    help="Probes per platform (5 or more give ratings).",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0.001),
    default=0.01,
    show_default=True,
    help="Simulated time: 0.01 runs the sandbox's 5-minute waits in 6 s.",
)
@click.option("--port", type=int, default=8001, show_default=True)
@click.option("--no-serve", is_flag=True, help="Print the leaderboard and exit instead of serving it.")
@_errors_as_messages
def demo(db_path: Path, rounds: int, time_scale: float, port: int, no_serve: bool) -> None:
    """The first command to try: probe the built-in sandbox, rate it, and publish the ratings."""

    def started(url: str, platforms: int) -> None:
        echo(
            f"sandbox at {url}: probing its {platforms} platforms {rounds} times "
            f"(simulated time x{1 / time_scale:g}) into {db_path} ...",
            err=True,
        )

    def round_done(number: int, tag: str, results: list[ProbeRecord]) -> None:
        echo(f"round {number}/{rounds} ({tag}): " + ", ".join(f"{r.platform} {r.outcome}" for r in results), err=True)

    rows = run_demo(db_path, rounds=rounds, time_scale=time_scale, on_start=started, on_round=round_done)
    if no_serve:
        echo(leaderboard(rows, i18n.terminal_language()))
        return
    echo(said(i18n.N_("the ratings, with charts and evidence, are at:")), err=True)
    _serve_until_interrupted(build_datasette(db_path), "127.0.0.1", port, "read-only", None)
