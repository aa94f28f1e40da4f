"""The Reports screen's charts, drawn with plotext: where people would rather look than read.

Every label that comes from mail or from teammates (agent addresses) is made inert first:
plotext's output is read back as ANSI text, so an escape sequence in a name would be obeyed.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from shared_inbox.display.text import inert, short_assignee
from shared_inbox.domain.business_hours import WEEKDAYS
from shared_inbox.domain.metrics import Report

__all__ = ["draw_agents", "draw_hours", "draw_response", "draw_volume"]

MAX_AGENTS = 8
MAX_DAY_LABELS = 4


def _begin(chart: PlotextPlot, title: str) -> None:
    plt = chart.plt
    plt.clear_data()
    plt.clear_figure()
    plt.title(title)


def draw_volume(chart: PlotextPlot, report: Report) -> None:
    """New conversations, replies and the backlog per day."""
    _begin(chart, "Volume and backlog per day")
    plt = chart.plt
    days: list[float] = [float(n) for n in range(len(report.days))]
    plt.plot(days, [d.conversations_created for d in report.days], label="new")
    plt.plot(days, [d.replies for d in report.days], label="replies")
    plt.plot(days, [d.backlog for d in report.days], label="backlog")
    step = max(1, -(-len(days) // MAX_DAY_LABELS))  # few enough that every label fits
    plt.xticks(days[::step], [d.day.strftime("%d %b") for d in report.days][::step])
    chart.refresh()


def draw_hours(chart: PlotextPlot, report: Report) -> None:
    """New conversations per weekday and hour, Monday at the top."""
    _begin(chart, "New conversations by weekday and hour")
    plt = chart.plt
    plt.matrix_plot([list(row) for row in report.busiest])  # the first row is drawn at the top
    plt.yticks([6.0 - day for day in range(7)], [name[:3].title() for name in WEEKDAYS])
    plt.xticks([0.0, 6.0, 12.0, 18.0, 23.0], ["0h", "6h", "12h", "18h", "23h"])
    plt.xlabel("")
    plt.ylabel("")
    chart.refresh()


def draw_response(chart: PlotextPlot, report: Report) -> None:
    """How long customers waited for each response, in hours."""
    _begin(chart, f"Response times ({report.hours} hours)")
    plt = chart.plt
    values = [seconds / 3600 for seconds in report.summary.response.values]
    if values:
        plt.hist(values, bins=min(20, max(5, len(values) // 3)))
    plt.xlabel("hours")
    chart.refresh()


def draw_agents(chart: PlotextPlot, report: Report) -> None:
    """Replies sent per agent."""
    _begin(chart, "Replies per agent")
    plt = chart.plt
    agents = sorted(report.agents, key=lambda row: -row.replies)[:MAX_AGENTS]
    if agents:
        names = [short_assignee(inert(row.agent))[:16] or "?" for row in agents]
        plt.bar(names, [row.replies for row in agents], orientation="horizontal", width=0.3)
    chart.refresh()
