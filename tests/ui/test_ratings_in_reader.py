"""A customer's rating shows in the reader's header and in the customer panel."""

from __future__ import annotations

import uuid
from pathlib import Path

from textual.pilot import Pilot

from shared_inbox.config import load_config
from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, event_to_json
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.domain.satisfaction import RATING, Rating, rating_data
from shared_inbox.services.session import open_session
from shared_inbox.store import Store
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.reader import ReaderScreen
from tests.ui.test_app import drive, static_texts, until
from tests.unit.report_store import at, write_config

NOW = at("2026-03-08 20:00")


def rate(store_path: Path) -> None:
    """Cat answers the rating question on Monday's closed conversation: not good, with a comment."""
    moment = at("2026-03-02 15:00")
    rating_mail = MessageMeta(
        "rate1@customer.example",
        "Rating: not good [c0]",
        Address("Cat", "cat@customer.example"),
        (),
        (),
        moment,
        in_reply_to=("r1@example.com",),
        received=moment,
    )
    event = Event(
        uuid.uuid4().hex,
        RATING,
        "c1@customer.example",
        "alice@example.com",
        moment,
        Hlc(int(moment.timestamp() * 1000), 9, "x"),
        rating_data(Rating.NOT_GOOD, "rate1@customer.example", "The \x1b[31mparcel\x1b[0m never came."),
    )
    with Store.open(store_path) as store:
        store.upsert_messages([rating_mail])
        store.append_event(event_to_json(event))


def test_the_reader_and_the_customer_panel_show_the_rating(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    rate(tmp_path / "store")
    with open_session(load_config(config, {}), now=lambda: NOW) as session:
        app = InboxApp(session, sync=False, now=lambda: NOW)

        async def scenario(pilot: Pilot[None]) -> None:
            await pilot.press("minus")  # Attention: the unanswered complaint waits there
            await pilot.pause()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ReaderScreen))
            text = static_texts(app.screen)
            assert "rated not good" in text and "parcel" in text
            assert "\x1b" not in text  # the customer's words never reach the terminal raw
            assert "Rated: 1 not good" in text

        drive(app, scenario)
