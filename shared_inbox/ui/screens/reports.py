"""The Reports screen: the team's figures beside the previous period's, and charts.

It opens at once and computes in a worker, which posts the finished report back; the
widgets are only touched here, on the screen's own thread. Keys move the period, change
its length, the breakdown and the kind of hours; each change computes again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from shared_inbox.display.report_text import headlines, percent, span, title
from shared_inbox.display.text import inert
from shared_inbox.domain.metrics import Breakdown, Period, Report
from shared_inbox.services.reports import ReportRequest, Reports
from shared_inbox.ui.keys import bindings_for
from shared_inbox.ui.widgets.report_charts import draw_agents, draw_hours, draw_response, draw_volume
from shared_inbox.ui.widgets.steady_footer import SteadyFooter
from shared_inbox.wallclock import Now

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

LENGTHS = (7, 30, 90)
BREAKDOWNS: tuple[Breakdown | None, ...] = (None, *Breakdown)
MAX_ROWS = 12  # breakdown rows shown; the CLI prints them all


class ReportReady(Message):
    """A worker finished a report for ``request``."""

    def __init__(self, request: ReportRequest, report: Report) -> None:
        super().__init__()
        self.request = request
        self.report = report


class ReportsScreen(Screen[None]):
    DEFAULT_CSS = """
    ReportsScreen #reports-title { height: 1; padding: 0 1; text-style: bold; }
    ReportsScreen #reports-top { height: 1fr; }
    ReportsScreen #reports-figures { width: 74; padding: 0 1; }
    ReportsScreen #reports-charts { height: 1fr; }
    ReportsScreen PlotextPlot { border: round $primary-muted; }
    ReportsScreen.-computing PlotextPlot { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("reports", {})]

    def __init__(self, session: Session, *, now: Now) -> None:
        super().__init__()
        self.reports = Reports(session, now=now)
        today = self.reports.today()
        self.request = ReportRequest(Period(today - timedelta(days=LENGTHS[0] - 1), today), compare=True)
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(self._title(), no_wrap=True), id="reports-title", markup=False)
        with Horizontal(id="reports-top"):
            with VerticalScroll(id="reports-figures"):
                yield Static(Text("Computing the report…"), id="reports-headlines", markup=False)
                yield Static(Text(""), id="reports-breakdown", markup=False)
            yield PlotextPlot(id="reports-volume")
        with Horizontal(id="reports-charts"):
            yield PlotextPlot(id="reports-hours")
            yield PlotextPlot(id="reports-response")
            yield PlotextPlot(id="reports-agents")
        yield SteadyFooter()

    def on_mount(self) -> None:
        # Empty charts cost as much to draw as full ones: they come in with the first figures.
        self.add_class("-computing")
        self._compute(self.request)

    # -- computing ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _compute(self, request: ReportRequest) -> None:
        self.post_message(ReportReady(request, self.reports.report(request)))

    def on_report_ready(self, message: ReportReady) -> None:
        if message.request != self.request:
            return  # the agent asked for another one meanwhile
        self.report = message.report
        self._show(message.report)
        self.remove_class("-computing")

    def _ask(self, request: ReportRequest) -> None:
        self.request = request
        self.query_one("#reports-title", Static).update(Text(self._title(), no_wrap=True))
        self._compute(request)

    # -- keys --------------------------------------------------------------------------

    def _length(self) -> int:
        return (self.request.period.last - self.request.period.first).days + 1

    def action_earlier(self) -> None:
        self._ask(replace(self.request, period=self.request.period.previous()))

    def action_later(self) -> None:
        length = timedelta(days=self._length())
        period = self.request.period
        last = min(period.last + length, self.reports.today())
        self._ask(replace(self.request, period=Period(last - length + timedelta(days=1), last)))

    def action_length(self) -> None:
        current = self._length()
        following = next((days for days in LENGTHS if days > current), LENGTHS[0])
        last = self.request.period.last
        self._ask(replace(self.request, period=Period(last - timedelta(days=following - 1), last)))

    def action_breakdown(self) -> None:
        index = BREAKDOWNS.index(self.request.by) if self.request.by in BREAKDOWNS else 0
        self._ask(replace(self.request, by=BREAKDOWNS[(index + 1) % len(BREAKDOWNS)]))

    def action_hours(self) -> None:
        self._ask(replace(self.request, business_hours=not self.request.business_hours))

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- showing -------------------------------------------------------------------------

    def _title(self) -> str:
        request = self.request
        hours = "business" if request.business_hours else "calendar"
        by = f", by {request.by.value}" if request.by is not None else ""
        return f"Reports: {request.period.first} to {request.period.last} ({hours} hours{by})"

    def _show(self, report: Report) -> None:
        self.query_one("#reports-title", Static).update(Text(title(report), no_wrap=True))
        table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
        table.add_column("")
        table.add_column("this period")
        table.add_column("before")
        for row in headlines(report):
            table.add_row(Text(row.label), Text(row.value), Text(row.previous or ""))
        self.query_one("#reports-headlines", Static).update(table)
        self.query_one("#reports-breakdown", Static).update(self._breakdown(report))
        draw_volume(self.query_one("#reports-volume", PlotextPlot), report)
        draw_hours(self.query_one("#reports-hours", PlotextPlot), report)
        draw_response(self.query_one("#reports-response", PlotextPlot), report)
        draw_agents(self.query_one("#reports-agents", PlotextPlot), report)

    def _breakdown(self, report: Report) -> Table | Text:
        if report.by is None:
            waiting = len(report.waiting)
            oldest = f", oldest {span(report.waiting[0].age_seconds)}" if waiting else ""
            return Text(f"\nStill waiting for a first response: {waiting}{oldest}")
        table = Table(
            box=None, pad_edge=False, header_style="bold", title=f"By {report.by.value}", title_justify="left"
        )
        if report.by is Breakdown.AGENT:
            for name in ("agent", "replies", "first resp.", "resolved"):
                table.add_column(name, justify="left" if name == "agent" else "right")
            for agent in report.agents[:MAX_ROWS]:
                table.add_row(
                    Text(inert(agent.agent)),
                    str(agent.replies),
                    span(agent.first_response.median),
                    str(agent.resolved),
                )
            return table
        for name in (report.by.value, "new", "first resp.", "resolved", "SLA"):
            table.add_column(name, justify="left" if name == report.by.value else "right")
        for key, summary in report.breakdown[:MAX_ROWS]:
            table.add_row(
                Text(inert(key)[:24]),
                str(summary.conversations_created),
                span(summary.first_response.median),
                str(summary.resolved),
                percent(summary.sla_percent),
            )
        return table
