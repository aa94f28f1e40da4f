"""`shared-inbox report`: the team's service over a period, as a table, plain text, JSON or CSV.

On a terminal it prints tables; piped (or with ``--plain``) it prints the digest, plain
text fit to paste into an email or a chat. ``--json`` keeps the keys scripts rely on.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared_inbox.display.report_text import digest, headlines, percent, span, title
from shared_inbox.display.text import inert
from shared_inbox.domain.metrics import Breakdown, Report, Summary
from shared_inbox.services.reports import PeriodError, ReportRequest, Reports, last_days, period_between
from shared_inbox.services.session import Session

EXIT_OK, EXIT_FAILURE = 0, 1
CSV_COLUMNS = (
    "group",
    "key",
    "conversations_created",
    "customer_messages",
    "replies",
    "first_response_count",
    "first_response_median_seconds",
    "first_response_p90_seconds",
    "resolved",
    "resolution_median_seconds",
    "sla_kept",
    "sla_broken",
)


def add_report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="how fast the team answers, resolves and keeps its word")
    when = report.add_mutually_exclusive_group()
    when.add_argument("--last", metavar="SPAN", help="the last 7d, 4w ... ending today (default 7d)")
    when.add_argument("--from", dest="first", metavar="DATE", help="first day, YYYY-MM-DD (with --to)")
    report.add_argument("--to", dest="until", metavar="DATE", help="last day, YYYY-MM-DD, included")
    report.add_argument("--by", choices=[b.value for b in Breakdown], help="break the figures down")
    report.add_argument(
        "--hours",
        choices=["business", "calendar"],
        default="business",
        help="count durations in (default business)",
    )
    report.add_argument("--compare", action="store_true", help="the period before, side by side")
    form = report.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="JSON for scripts")
    form.add_argument("--csv", action="store_true", help="CSV for spreadsheets")
    form.add_argument("--plain", action="store_true", help="plain text, as when piped (for email or chat)")


def run_report(args: argparse.Namespace, session: Session) -> int:
    reports = Reports(session, now=lambda: datetime.now(UTC))
    try:
        if args.first is not None or args.until is not None:
            if args.first is None or args.until is None:
                raise PeriodError("--from and --to go together")
            period = period_between(args.first, args.until)
        else:
            period = last_days(args.last or "7d", reports.today())
    except PeriodError as exc:
        print(f"shared-inbox: {exc}.", file=sys.stderr)
        return EXIT_FAILURE
    by = Breakdown(args.by) if args.by else None
    report = reports.report(ReportRequest(period, by, args.hours == "business", args.compare))
    if args.json:
        json.dump(report_json(report), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    elif args.csv:
        write_csv(report)
    elif args.plain or not sys.stdout.isatty():
        sys.stdout.write(digest(report))
    else:
        print_tables(report, Console())
    return EXIT_OK


# -- JSON and CSV --------------------------------------------------------------------


def report_json(report: Report) -> dict[str, Any]:
    """The report for scripts; the keys named in the README are kept from version to version."""
    doc: dict[str, Any] = {
        "period": {"from": report.period.first.isoformat(), "to": report.period.last.isoformat()},
        "hours": report.hours,
        **report.summary.to_json(),
    }
    doc["first_response"]["waiting"] = [
        {
            "conversation": w.conversation_id,
            "since": w.since.isoformat(),
            "age_seconds": round(w.age_seconds, 1),
        }
        for w in report.waiting
    ]
    doc["sla"]["policies"] = [
        {"policy": row.policy, "target": row.target, "kept": row.kept, "broken": row.broken}
        for row in report.sla
    ]
    doc["agents"] = [
        {
            "agent": row.agent,
            "replies": row.replies,
            "first_response": row.first_response.to_json(),
            "resolved": row.resolved,
        }
        for row in report.agents
    ]
    doc["days"] = [
        {
            "date": day.day.isoformat(),
            "conversations_created": day.conversations_created,
            "customer_messages": day.customer_messages,
            "replies": day.replies,
            "notes": day.notes,
            "backlog": day.backlog,
        }
        for day in report.days
    ]
    doc["busiest_hours"] = [list(row) for row in report.busiest]
    if report.by is Breakdown.AGENT:
        doc["breakdown"] = {
            "by": report.by.value,
            "rows": [{"key": row["agent"], **row} for row in doc["agents"]],
        }
    elif report.by is not None:
        doc["breakdown"] = {
            "by": report.by.value,
            "rows": [{"key": key, **summary.to_json()} for key, summary in report.breakdown],
        }
    if report.previous is not None:
        doc["previous"] = report_json(report.previous)
    return doc


def _csv_row(group: str, key: str, summary: Summary) -> list[object]:
    first = summary.first_response
    return [
        group,
        key,
        summary.conversations_created,
        summary.customer_messages,
        summary.replies,
        first.count,
        _number(first.median),
        _number(first.p90),
        summary.resolved,
        _number(summary.resolution.median),
        summary.sla_kept,
        summary.sla_broken,
    ]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def write_csv(report: Report) -> None:
    """One row for the period, one for the period before (--compare), one per breakdown row and agent."""
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    out.writerow(_csv_row("total", f"{report.period.first}..{report.period.last}", report.summary))
    if report.previous is not None:
        previous = report.previous
        out.writerow(
            _csv_row("previous", f"{previous.period.first}..{previous.period.last}", previous.summary)
        )
    if report.by is not None:
        for key, summary in report.breakdown:
            out.writerow(_csv_row(report.by.value, _cell(key), summary))
    for row in report.agents:
        first = row.first_response
        out.writerow(
            [
                "agent",
                _cell(row.agent),
                "",
                "",
                row.replies,
                first.count,
                _number(first.median),
                _number(first.p90),
            ]
            + [row.resolved, "", "", ""]
        )


def _cell(text: str) -> str:
    """A spreadsheet must not take a tag or an address for a formula."""
    text = inert(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# -- tables ------------------------------------------------------------------------------


def print_tables(report: Report, console: Console) -> None:
    console.print(Text(title(report), style="bold"))
    compared = report.previous is not None
    figures = Table(box=None, pad_edge=False, header_style="bold")
    figures.add_column("figure")
    figures.add_column("this period")
    if compared:
        figures.add_column("period before")
    for row in headlines(report):
        cells = [Text(row.label), Text(row.value)]
        figures.add_row(*cells, *([Text(row.previous or "")] if compared else []))
    console.print(figures)
    if report.waiting:
        console.print(
            Text(
                f"\nStill waiting for a first response: {len(report.waiting)}, "
                f"oldest {span(report.waiting[0].age_seconds)}"
            )
        )
    if report.agents:
        agents = Table(box=None, pad_edge=False, header_style="bold", title="By agent", title_justify="left")
        for name in ("agent", "replies", "first response", "p90", "resolved"):
            agents.add_column(name, justify="left" if name == "agent" else "right")
        for agent in report.agents:
            agents.add_row(
                Text(inert(agent.agent)),
                str(agent.replies),
                span(agent.first_response.median),
                span(agent.first_response.p90),
                str(agent.resolved),
            )
        console.print(agents)
    if report.by is not None and report.breakdown:
        rows = Table(
            box=None, pad_edge=False, header_style="bold", title=f"By {report.by.value}", title_justify="left"
        )
        for name in (report.by.value, "new", "replies", "first response", "resolved", "SLA"):
            rows.add_column(name, justify="left" if name == report.by.value else "right")
        for key, summary in report.breakdown:
            rows.add_row(
                Text(inert(key)),
                str(summary.conversations_created),
                str(summary.replies),
                span(summary.first_response.median),
                str(summary.resolved),
                percent(summary.sla_percent),
            )
        console.print(rows)
