"""SIGKILL a process that is writing to the store at random moments; every acknowledged change
must survive and the store must always open again."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shared_inbox.store import Store

pytestmark = pytest.mark.integration

ROUNDS = 12

# Writes forever; prints "T ..." before a change whose outcome it will check, and an ack line
# only after the call returned, i.e. after the change was durable.
WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path

    from shared_inbox.domain.model import Address, Location, MessageMeta
    from shared_inbox.store import Store

    path, round_no = Path(sys.argv[1]), int(sys.argv[2])
    out = sys.stdout
    store = Store.open(path, shard_size=7)
    uid = 10_000_000 * round_no
    made = []
    i = 0
    while True:
        event_id = f"{round_no}.e{i}"
        store.append_event({"id": event_id, "kind": "tag", "anchor": "x@y", "data": {"tag": "t" * (i % 50)}})
        print("E", event_id, file=out, flush=True)

        batch = []
        for j in range(3):
            uid += 1
            mid = f"{round_no}.m{i}.{j}@crash.test"
            batch.append(MessageMeta(
                message_id=mid, subject=f"Subject {i}.{j}", sender=Address("C", "c@crash.test"), to=(), cc=(),
                date=datetime(2026, 1, 1, tzinfo=UTC), locations=(Location("INBOX", 1, uid),),
            ))
        store.upsert_messages(batch)
        for meta in batch:
            print("M", meta.message_id, meta.locations[0].uid, file=out, flush=True)
        made.extend(m.message_id for m in batch)

        target = made[(i * 7) % len(made)]
        print("TF", target, i, file=out, flush=True)
        store.update_flags({target: frozenset({f"$v{i}"})})
        print("AF", target, i, file=out, flush=True)

        print("TS", round_no, i, file=out, flush=True)
        store.set_setting("progress", [round_no, i])
        print("AS", round_no, i, file=out, flush=True)

        if i % 3 == 0:
            store.save_raw(target, f"raw {target} {i}".encode() * 50)
            print("R", target, i, file=out, flush=True)
        i += 1
    """
)


@dataclass
class Expectations:
    """What the writer acknowledged across all rounds, and what it may have done beyond that."""

    events: set[str] = field(default_factory=set)
    messages: dict[str, int] = field(default_factory=dict)  # id -> uid
    flags: dict[str, list[int]] = field(default_factory=dict)  # id -> acked value, then values tried since
    setting: list[list[int] | None] = field(default_factory=lambda: [None])
    raw: dict[str, int] = field(default_factory=dict)

    def take(self, lines: list[str]) -> int:
        acked = 0
        for line in lines:
            kind, *args = line.split()
            if kind == "E":
                self.events.add(args[0])
            elif kind == "M":
                self.messages[args[0]] = int(args[1])
            elif kind == "TF":
                self.flags.setdefault(args[0], [-1]).append(int(args[1]))
            elif kind == "AF":
                self.flags[args[0]] = [int(args[1])]
            elif kind == "TS":
                self.setting.append([int(args[0]), int(args[1])])
            elif kind == "AS":
                self.setting = [[int(args[0]), int(args[1])]]
            elif kind == "R":
                self.raw[args[0]] = int(args[1])
            acked += kind in {"E", "M", "AF", "AS", "R"}
        return acked

    def check(self, store: Store, note: str) -> None:
        stored_events = {e["id"] for e in store.events()}
        assert self.events <= stored_events, f"{note}: lost events {sorted(self.events - stored_events)[:5]}"
        for mid, uid in self.messages.items():
            meta = store.message(mid)
            assert meta is not None, f"{note}: lost message {mid}"
            assert [loc.uid for loc in meta.locations] == [uid], f"{note}: {mid} has {meta.locations}"
        for mid, (acked, *tried) in self.flags.items():
            meta = store.message(mid)
            assert meta is not None
            allowed = [frozenset({f"$v{v}"}) if v >= 0 else frozenset() for v in (acked, *tried)]
            assert meta.flags in allowed, f"{note}: {mid} has flags {meta.flags}, expected one of {allowed}"
        assert store.get_setting("progress") in self.setting, (
            f"{note}: setting {store.get_setting('progress')}"
        )
        for mid, i in self.raw.items():
            raw = store.load_raw(mid)
            assert raw is not None, f"{note}: lost raw mail of {mid}"
            # a later save of the same message may have replaced it, but never with half a message
            chunk = raw[: len(raw) // 50]
            assert raw == chunk * 50 and chunk.startswith(f"raw {mid} ".encode()), f"{note}: torn raw {mid}"
            assert int(chunk.rsplit(b" ", 1)[1]) >= i, f"{note}: raw mail of {mid} went back in time"


def wait_for_output(path: Path, writer: subprocess.Popen[bytes]) -> None:
    """Until the writer acknowledged something (a hang is left to the test timeout)."""
    while path.stat().st_size == 0:
        assert writer.poll() is None, "the writer exited before writing anything"
        time.sleep(0.01)


def complete_lines(path: Path) -> list[str]:
    """Lines the writer finished printing; a line cut by the kill was never an acknowledgement."""
    text = path.read_text()
    lines = text.split("\n")
    return [line for line in lines[:-1] if line]


def test_every_acknowledged_change_survives_sigkill(tmp_path):
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    store_path = tmp_path / "store"
    expected = Expectations()
    total_acked = 0
    for round_no in range(ROUNDS):
        note = f"seed {seed}, round {round_no}"
        out_path = tmp_path / f"round{round_no}.out"
        with out_path.open("w") as out:
            writer = subprocess.Popen(
                [sys.executable, "-c", WRITER, str(store_path), str(round_no)],
                stdout=out,
                stderr=subprocess.PIPE,
            )
            if round_no % 2:
                # Kill at a random moment after it started writing, so every other round surely writes.
                wait_for_output(out_path, writer)
                time.sleep(rng.uniform(0.0, 0.6))
            else:
                # Kill at a random moment from the start: sometimes while it is still opening the store.
                time.sleep(rng.uniform(0.2, 1.5))
            writer.send_signal(signal.SIGKILL)
            _, stderr = writer.communicate(timeout=60)
        assert writer.returncode == -signal.SIGKILL, f"{note}: writer died on its own: {stderr.decode()}"
        total_acked += expected.take(complete_lines(out_path))
        with Store.open(store_path, shard_size=7) as store:
            expected.check(store, note)
            assert not list((store_path / "raw" / "tmp").iterdir())
    assert total_acked > 0, f"seed {seed}: the writer never acknowledged anything; nothing was tested"
