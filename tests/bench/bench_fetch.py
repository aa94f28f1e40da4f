"""Header FETCH of 10k corpus messages: imapclient's fetch vs fast_fetch.fetch_headers (batches of 500).

Run: .venv/bin/python tests/bench/bench_fetch.py
"""

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from imapclient.response_parser import parse_fetch_response  # noqa: E402

from shared_inbox.corpus import generate  # noqa: E402
from shared_inbox.imap.fast_fetch import fetch_headers, parse_fetch_items  # noqa: E402
from shared_inbox.imap.sync import HEADER_ITEMS  # noqa: E402
from tests.rig.dovecot import DovecotServer  # noqa: E402

COUNT, BATCH, ROUNDS = 10_000, 500, 5
ITEMS_TEXT = "(" + " ".join(i.decode() for i in HEADER_ITEMS).upper() + ")"


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    server = DovecotServer()
    server.add_user("bench", "bench-pass")
    server.start()
    try:
        raws = [raw for _, raw in generate(COUNT, seed=7, start=datetime(2026, 8, 1, tzinfo=UTC))]
        server.bulk_seed("bench", raws)
        client = server.imap("bench", "bench-pass")
        client.select_folder("INBOX")
        uids = client.search("ALL")
        batches = [uids[i : i + BATCH] for i in range(0, len(uids), BATCH)]
        print(f"{len(uids)} messages, {len(batches)} batches of {BATCH}")

        def slow():
            return [client.fetch(b, HEADER_ITEMS) for b in batches]

        def fast():
            return [fetch_headers(client, b, HEADER_ITEMS) for b in batches]

        slow()  # warm Dovecot's caches
        figures = {"imapclient fetch": [], "fast_fetch": []}
        for _ in range(ROUNDS):
            t, a = timed(slow)
            figures["imapclient fetch"].append(t)
            t, b = timed(fast)
            figures["fast_fetch"].append(t)
            assert a == b, "results differ"
        # Parse-only, on captured raw answers.
        imap = client._imap
        captured = []
        for b in batches:
            tag = imap._command("UID", "FETCH", ",".join(map(str, b)), ITEMS_TEXT)
            typ, data = imap._command_complete("FETCH", tag)
            captured.append(imap._untagged_response(typ, data, "FETCH")[1])

        def wire_only():
            for b in batches:
                tag = imap._command("UID", "FETCH", ",".join(map(str, b)), ITEMS_TEXT)
                typ, data = imap._command_complete("FETCH", tag)
                imap._untagged_response(typ, data, "FETCH")

        wire = [timed(wire_only)[0] for _ in range(ROUNDS)]
        parse_slow = [timed(lambda: [parse_fetch_response(d) for d in captured])[0] for _ in range(ROUNDS)]
        parse_fast = [timed(lambda: [parse_fetch_items(d) for d in captured])[0] for _ in range(ROUNDS)]
        print(f"{'':28}{'median':>9}{'min':>9}")
        for name, times in figures.items():
            print(f"{name + ' (wire+parse)':28}{statistics.median(times):9.3f}{min(times):9.3f}")
        print(f"{'imaplib wire only':28}{statistics.median(wire):9.3f}{min(wire):9.3f}")
        print(f"{'imapclient parse only':28}{statistics.median(parse_slow):9.3f}{min(parse_slow):9.3f}")
        print(f"{'fast parse only':28}{statistics.median(parse_fast):9.3f}{min(parse_fast):9.3f}")
        client.logout()
    finally:
        server.close()


if __name__ == "__main__":
    main()
