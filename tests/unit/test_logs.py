"""Logging: JSON lines that parse, tracebacks kept, the access log structured; text otherwise;
the cluster follower and the projection follower log what goes wrong and keep going."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading

import pytest

from tests.common.waiting import wait_until
from tetherai.cluster.follower import follow
from tetherai.ledger.errors import BlockRejected
from tetherai.logs import JsonLines
from tetherai.ordering.errors import OrderingError
from tetherai.services.projection_follower import ProjectionFollower


def _record(name: str, message: str, args: object = (), **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": name, "msg": message, "args": args, "levelno": 20})
    record.levelname = "INFO"
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_time_level_logger_message_and_extras() -> None:
    line = JsonLines().format(_record("tetherai.x", "block %d", (7,), channel="main"))
    document = json.loads(line)
    assert "\n" not in line
    assert document["level"] == "info" and document["logger"] == "tetherai.x"
    assert document["message"] == "block 7" and document["channel"] == "main"
    assert document["ts"].endswith("Z")


def test_a_json_line_keeps_the_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = _record("tetherai.x", "failed")
        record.exc_info = sys.exc_info()
    document = json.loads(JsonLines().format(record))
    assert "Traceback" in document["exception"] and "ValueError: boom" in document["exception"]


def test_the_access_log_is_structured() -> None:
    args = ("127.0.0.1:5000", "GET", "/accept?token=[redacted]", "1.1", 200)
    record = _record("uvicorn.access", '%s - "%s %s HTTP/%s" %d', args)
    document = json.loads(JsonLines().format(record))
    assert document["method"] == "GET" and document["status"] == 200
    assert document["path"] == "/accept?token=[redacted]"


PROBE = """
import logging, os, sys
from tetherai.logs import configure_from_env
configure_from_env(os.environ)
log = logging.getLogger("tetherai.probe")
log.info("hello %s", "world")
log.debug("not at info")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("it failed")
logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "c", "GET", "/", "1.1", 204)
"""


def _probe(**env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **env},
    )
    assert done.stdout == ""  # logs go to stderr
    return done.stderr


def test_a_process_logs_json_lines_when_asked() -> None:
    lines = _probe(TETHER_LOG_JSON="1").splitlines()
    documents = [json.loads(line) for line in lines]  # every line is one JSON object
    assert [d["message"] for d in documents][:2] == ["hello world", "it failed"]
    assert "ZeroDivisionError" in documents[1]["exception"]
    assert documents[2]["logger"] == "uvicorn.access" and documents[2]["status"] == 204


def test_a_process_logs_text_by_default_and_warns_of_an_unknown_level() -> None:
    text = _probe(TETHER_LOG_LEVEL="chatty")
    assert "WARNING tetherai.logs: TETHER_LOG_LEVEL=chatty" in text
    assert "INFO tetherai.probe: hello world" in text and "not at info" not in text
    assert "Traceback" in text and "ZeroDivisionError" in text


def _steps(*outcomes: BaseException | int) -> tuple[list[str | None], threading.Event, object]:
    reports: list[str | None] = []
    stop = threading.Event()
    todo = list(outcomes)

    def step() -> int:
        outcome = todo.pop(0)
        if not todo:
            stop.set()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return reports, stop, step


def test_the_follower_logs_an_unexpected_failure_with_its_traceback_and_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reports, stop, step = _steps(RuntimeError("disk hiccup"), RuntimeError("again"), 3, 0)
    with caplog.at_level(logging.INFO, logger="tetherai.cluster.follower"):
        follow(step, stop, idle=0.001, report=reports.append, what="peer p, channel main")  # type: ignore[arg-type]
    assert reports == ["RuntimeError: disk hiccup", "RuntimeError: again", None]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2 and all(r.exc_info for r in failures)
    assert "peer p, channel main failed (attempt 2)" in failures[1].getMessage()
    assert any("following again" in r.getMessage() for r in caplog.records)


def test_the_follower_warns_once_per_etcd_outage(caplog: pytest.LogCaptureFixture) -> None:
    outage = OrderingError("etcd is unreachable")
    reports, stop, step = _steps(outage, outage, outage, 1, 0)
    with caplog.at_level(logging.INFO, logger="tetherai.cluster.follower"):
        follow(step, stop, idle=0.001, report=reports.append, what="peer p")  # type: ignore[arg-type]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "etcd is unreachable" in warnings[0].getMessage()
    assert reports == ["etcd is unreachable"] * 3 + [None]


def test_the_follower_stops_at_a_block_it_cannot_trust(caplog: pytest.LogCaptureFixture) -> None:
    reports, stop, step = _steps(1, BlockRejected("block 5 does not link to block 4"), 1)
    with caplog.at_level(logging.INFO, logger="tetherai.cluster.follower"):
        follow(step, stop, idle=0.001, report=reports.append, what="peer p")  # type: ignore[arg-type]
    assert reports == ["BlockRejected: block 5 does not link to block 4"]
    assert not stop.is_set()  # it returned by itself, one step left untaken
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "peer p stopped" in error.getMessage() and error.exc_info


class _FlakyProjector:
    """Fails its first catch-up with something unexpected, then catches up."""

    def __init__(self) -> None:
        self.calls = 0

    def catch_up(self) -> None:
        self.calls += 1
        if self.calls == 1:
            raise KeyError("an unexpected bug")


def test_the_projection_follower_logs_a_failure_and_tries_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    projector = _FlakyProjector()
    heights = iter(range(1, 10**6))
    follower = ProjectionFollower(projector, lambda: next(heights), interval=0.001)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="tetherai.services.projection_follower"):
        follower.start()
        try:
            wait_until(lambda: projector.calls >= 2, message="the follower stopped")
        finally:
            follower.stop()
    [failure] = [r for r in caplog.records if r.exc_info]
    assert "could not bring the projections up" in failure.getMessage()
