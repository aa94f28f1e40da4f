"""A report in words: headline figures with the previous period beside them, and the weekly digest.

The CLI's table and plain text and the TUI's Reports screen all say the same things the
same way. Durations are hours and minutes of counted time (business or calendar), never
days: eight business hours are not "a day" to a reader who thinks of 24.
Tags, organisations and agent names come from mail and teammates, so they are made inert.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared_inbox.display.text import inert
from shared_inbox.domain.metrics import Distribution, Report, Summary

__all__ = ["Headline", "digest", "headlines", "percent", "span"]

NOTHING = "-"
MAX_LISTED = 10  # conversations still waiting named in the digest


def span(seconds: float | None) -> str:
    """``45m``, ``3h 20m``, ``52h``; ``-`` when there is nothing to measure."""
    if seconds is None:
        return NOTHING
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes}m"
    if hours >= 100 or not minutes:
        return f"{hours}h"
    return f"{hours}h {minutes}m"


def percent(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.0f}%"


def _figure(distribution: Distribution) -> str:
    if not distribution.count:
        return NOTHING
    return f"{span(distribution.median)} (p90 {span(distribution.p90)}, n={distribution.count})"


@dataclass(frozen=True, slots=True)
class Headline:
    label: str
    value: str
    previous: str | None  # None without a comparison


def _lines(summary: Summary) -> list[tuple[str, str]]:
    return [
        ("Conversations created", str(summary.conversations_created)),
        ("Customer messages", str(summary.customer_messages)),
        ("Replies sent", str(summary.replies)),
        ("Notes", str(summary.notes)),
        ("First response (median)", _figure(summary.first_response)),
        ("Response time (median)", _figure(summary.response)),
        ("Resolved", f"{summary.resolved} (no action needed: {summary.no_action_needed})"),
        ("Resolution time (median)", _figure(summary.resolution)),
        (
            "Replies per resolution",
            NOTHING if summary.replies_per_resolution is None else f"{summary.replies_per_resolution:.1f}",
        ),
        ("One-touch resolutions", percent(summary.one_touch_percent)),
        ("Reopened", f"{percent(summary.reopen_rate_percent)} ({summary.reopened})"),
        ("Customer wait (median)", _figure(summary.wait)),
        (
            "SLA achieved",
            f"{percent(summary.sla_percent)} ({summary.sla_kept} kept, {summary.sla_broken} broken)",
        ),
        (
            "Promises",
            f"{summary.promises_made} made, {summary.promises_kept} kept, {summary.promises_broken} broken, "
            f"{summary.promises_open} open",
        ),
        ("Promise margin (median)", span(summary.promise_margin.median)),
        ("Satisfaction", _satisfaction(summary)),
    ]


def _satisfaction(summary: Summary) -> str:
    great, okay, bad = summary.ratings
    if not great + okay + bad:
        return f"no ratings ({summary.rating_requests} asked)" if summary.rating_requests else NOTHING
    value = summary.satisfaction_score or 0.0
    answered = f", {percent(summary.rating_response_percent)} answered" if summary.rating_requests else ""
    return f"{value:+.0f} ({great} great, {okay} okay, {bad} not good{answered})"


def headlines(report: Report) -> list[Headline]:
    """The headline figures, each with the previous period's beside it when compared."""
    now = _lines(report.summary)
    before = _lines(report.previous.summary) if report.previous is not None else None
    return [
        Headline(label, value, before[index][1] if before is not None else None)
        for index, (label, value) in enumerate(now)
    ]


def title(report: Report) -> str:
    period = report.period
    return f"Support report {period.first.isoformat()} to {period.last.isoformat()} ({report.hours} hours)"


def digest(report: Report) -> str:
    """Plain text to paste into an email or a chat: no colours, no box drawing, aligned columns."""
    lines = [title(report), ""]
    rows = headlines(report)
    width = max(len(row.label) for row in rows)
    value_width = max(len(row.value) for row in rows)
    for row in rows:
        line = f"{row.label:<{width}}  {row.value:<{value_width}}"
        if row.previous is not None:
            line += f"  (before: {row.previous})"
        lines.append(line.rstrip())
    if report.waiting:
        oldest = report.waiting[0]
        lines += [
            "",
            f"Still waiting for a first response: {len(report.waiting)} (oldest {span(oldest.age_seconds)})",
        ]
        lines += [f"  {inert(w.conversation_id)}  {span(w.age_seconds)}" for w in report.waiting[:MAX_LISTED]]
    if report.agents:
        lines += ["", "By agent"]
        name_width = max(len(inert(row.agent)) for row in report.agents)
        for agent in report.agents:
            lines.append(
                f"  {inert(agent.agent):<{name_width}}  {agent.replies:>4} replies  first response "
                f"{span(agent.first_response.median):>7}  {agent.resolved:>4} resolved"
            )
    if report.by is not None and report.breakdown:
        lines += ["", f"By {report.by.value}"]
        key_width = max(len(inert(key)) for key, _ in report.breakdown)
        for key, summary in report.breakdown:
            lines.append(
                f"  {inert(key):<{key_width}}  {summary.conversations_created:>4} new  "
                f"first response {span(summary.first_response.median):>7}  {summary.resolved:>4} resolved  "
                f"SLA {percent(summary.sla_percent):>4}"
            )
    if report.sla:
        lines += ["", "SLA by policy"]
        for sla in report.sla:
            judged = sla.kept + sla.broken
            rate = percent(100.0 * sla.kept / judged if judged else None)
            lines.append(
                f"  {inert(sla.policy)} {sla.target.replace('_', ' ')}: "
                f"{rate} ({sla.kept} kept, {sla.broken} broken)"
            )
    return "\n".join(lines) + "\n"
