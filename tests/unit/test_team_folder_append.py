"""Where an appended message of the events folder landed: the server's APPENDUID, else a search."""

from __future__ import annotations

from typing import Any

from shared_inbox.team.folder import EventsFolder

RAW = b"From: a@x.example\r\nMessage-ID: <abc123@team.shared-inbox.invalid>\r\nSubject: s\r\n\r\nbody\r\n"


class FakeClient:
    """Only what appending needs; `answer` is the tagged OK the server gave the APPEND."""

    def __init__(self, answer: bytes, found: list[int]) -> None:
        self.answer, self.found = answer, found
        self.searched: list[Any] = []

    def append(self, folder: str, raw: bytes, flags: Any = ()) -> bytes:
        return self.answer

    def select_folder(self, folder: str, readonly: bool = False) -> dict[bytes, Any]:
        return {}

    def search(self, criteria: Any) -> list[int]:
        self.searched.append(criteria)
        return self.found


def test_the_uid_comes_from_appenduid_when_the_server_has_uidplus() -> None:
    client = FakeClient(b"[APPENDUID 1700000000 42] Append completed.", [])
    assert EventsFolder(client, "Events").append_at(RAW) == 42  # type: ignore[arg-type]
    assert client.searched == []


def test_without_uidplus_the_message_is_found_by_its_message_id() -> None:
    client = FakeClient(b"Append completed.", [40, 44])
    assert EventsFolder(client, "Events").append_at(RAW) == 44  # type: ignore[arg-type]
    assert client.searched == [["HEADER", "Message-ID", "abc123@team.shared-inbox.invalid"]]


def test_a_message_that_cannot_be_found_has_no_uid() -> None:
    assert EventsFolder(FakeClient(b"OK", []), "Events").append_at(RAW) is None  # type: ignore[arg-type]
