"""The event log survives crashes and damage: torn tails are cut, bad lines skipped, never a crash."""

from __future__ import annotations

import json
import logging
import zlib
from pathlib import Path

import pytest

from shared_inbox.store import Store
from shared_inbox.store.eventlog import EventLog, canonical_json


def event(n: int) -> dict[str, object]:
    return {"id": f"e{n}", "kind": "status", "anchor": f"m{n}@x", "data": {"status": "closed", "n": n}}


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    with Store.open(tmp_path / "store") as store:
        for n in range(3):
            store.append_event(event(n))
    return tmp_path / "store" / "events.log"


def load(log_path: Path) -> list[dict[str, object]]:
    with Store.open(log_path.parent) as store:
        return store.events()


def test_lines_carry_a_crc_of_the_canonical_event(log_path):
    first = json.loads(log_path.read_bytes().splitlines()[0])
    assert first["e"] == event(0)
    assert first["crc"] == format(zlib.crc32(canonical_json(event(0)).encode()), "08x")


@pytest.mark.parametrize("tail", [b'{"crc":"0badf00d","e":{"id":"e9","ki', b"\x00" * 40, b"{", b'{"crc":"'])
def test_a_torn_tail_is_cut_off_and_logged(log_path, tail, caplog):
    good = log_path.read_bytes()
    log_path.write_bytes(good + tail)
    with caplog.at_level(logging.WARNING):
        assert load(log_path) == [event(0), event(1), event(2)]
    assert "incomplete last entry" in caplog.text
    assert log_path.read_bytes() == good


def test_appends_after_a_repair_start_on_a_clean_line(log_path):
    log_path.write_bytes(log_path.read_bytes() + b'{"crc":"12345678","e":{"id"')
    with Store.open(log_path.parent) as store:
        assert store.append_event(event(3))
    assert load(log_path) == [event(0), event(1), event(2), event(3)]


def test_a_damaged_line_in_the_middle_is_skipped_with_a_warning(log_path, caplog):
    lines = log_path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b"closed", b"clobed")  # the CRC no longer matches
    log_path.write_bytes(b"".join(lines))
    with caplog.at_level(logging.WARNING):
        assert load(log_path) == [event(0), event(2)]
    assert "line 2 is damaged" in caplog.text
    assert log_path.read_bytes() == b"".join(lines)  # never cut away history after the damage


def test_garbage_between_events_does_not_stop_loading(log_path, caplog):
    lines = log_path.read_bytes().splitlines(keepends=True)
    log_path.write_bytes(lines[0] + b"not json at all\n" + b"[1,2]\n" + b"\n" + b"".join(lines[1:]))
    with caplog.at_level(logging.WARNING):
        assert load(log_path) == [event(0), event(1), event(2)]
    assert "line 2 is damaged" in caplog.text and "line 3 is damaged" in caplog.text


def test_a_whole_last_event_without_its_newline_is_kept(log_path):
    log_path.write_bytes(log_path.read_bytes().rstrip(b"\n"))
    with Store.open(log_path.parent) as store:
        assert [e["id"] for e in store.events()] == ["e0", "e1", "e2"]
        store.append_event(event(3))
    assert [e["id"] for e in load(log_path)] == ["e0", "e1", "e2", "e3"]


def test_a_reformatted_line_with_a_valid_crc_still_loads(log_path):
    canonical = canonical_json(event(7))
    spaced = json.dumps({"e": event(7), "crc": format(zlib.crc32(canonical.encode()), "08x")}, indent=None)
    log_path.write_bytes(log_path.read_bytes() + spaced.encode() + b"\n")
    assert load(log_path)[-1] == event(7)


def test_an_event_without_an_id_is_damage(log_path, caplog):
    body = {"kind": "status"}
    line = json.dumps({"crc": format(zlib.crc32(canonical_json(body).encode()), "08x"), "e": body})
    log_path.write_bytes(log_path.read_bytes() + line.encode() + b"\n")
    assert len(load(log_path)) == 3


def test_a_repeated_event_id_in_the_file_loads_once(log_path):
    first = log_path.read_bytes().splitlines(keepends=True)[0]
    log_path.write_bytes(log_path.read_bytes() + first)
    assert [e["id"] for e in load(log_path)] == ["e0", "e1", "e2"]


def test_unicode_and_lone_surrogates_round_trip(tmp_path):
    tricky = {"id": "e1", "data": {"note": "Grüße \u2603 \udce9", "n": 1.5}}
    log = EventLog.open(tmp_path / "events.log")
    assert log.append(tricky)
    log.close()
    again = EventLog.open(tmp_path / "events.log")
    assert again.events() == [tricky]
    assert (tmp_path / "events.log").read_bytes().isascii()
    again.close()
