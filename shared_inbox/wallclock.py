"""The system clock, read in one place.

Services, adapters and the interface take a `Now` callable that defaults to `utc_now`, so tests
pass a fixed time; the domain never reads the clock and is handed the time instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Now = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
