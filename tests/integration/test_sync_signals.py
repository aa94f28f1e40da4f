"""Signals during a real sync: the first stops `sync --watch` promptly and cleanly, and no
helper process outlives a sync however it ended."""

from __future__ import annotations

import signal

import psutil
import pytest

from tests.integration.fault_support import LineReader, mail, proxied_config, start_cli
from tests.integration.support import list_json, write_config
from tests.rig.faultproxy import Fault

pytestmark = pytest.mark.integration

STOP_BOUND = 10.0  # a bound on a hang, not a timing assertion: a stuck stop took 30 s


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_one_signal_stops_sync_watch_cleanly(signum, mailbox, tmp_path):
    stops_cleanly(signum, mailbox, tmp_path)


def test_one_ctrl_c_stops_sync_watch_on_cyrus(cyrus, tmp_path):
    stops_cleanly(signal.SIGINT, cyrus.new_mailbox("t"), tmp_path)


def stops_cleanly(signum, mailbox, tmp_path):
    mailbox.deliver(mail(1))
    config = write_config(tmp_path, mailbox)
    proc = start_cli(config, "sync", "--watch")
    reader = LineReader(proc)
    try:
        reader.wait_for("[idle]")
        proc.send_signal(signum)
        status = proc.wait(timeout=STOP_BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = reader.rest()
    assert status == 0, text
    assert "Traceback" not in text and "Stopping the sync" in text
    assert [m for c in list_json(config) for m in c["message_ids"]] == ["m1@customer.test"]


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_no_helper_outlives_a_killed_sync(signum, mailbox, imap_proxy, tmp_path):
    for n in range(1, 9):
        mailbox.deliver(mail(n))
    config = proxied_config(tmp_path, mailbox, imap_proxy, "fetch-literal", batch_size=1)
    # The third header batch never comes: the sync waits in its header phase, helper started.
    imap_proxy.inject(Fault("stall", stage="fetch-literal", nth=3))
    proc = start_cli(config, "sync", "--once")
    try:
        imap_proxy.wait_for_hits(1)
        parent = psutil.Process(proc.pid)
        helpers = wait_for_children(parent, 2)  # the parsing helper and multiprocessing's resource tracker
        proc.send_signal(signum)
        proc.wait(timeout=STOP_BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
        imap_proxy.clear()
    gone, alive = psutil.wait_procs(helpers, timeout=STOP_BOUND)
    for orphan in alive:
        orphan.kill()
    assert alive == [], [p.cmdline() for p in alive]


def wait_for_children(parent: psutil.Process, count: int) -> list[psutil.Process]:
    """The parent's children once there are `count` of them (bounded)."""
    for _ in range(300):
        children = parent.children(recursive=True)
        if len(children) >= count:
            return children
        psutil.wait_procs([parent], timeout=0.1)
    raise AssertionError(f"the sync started {len(parent.children())} helper(s), expected {count}")
