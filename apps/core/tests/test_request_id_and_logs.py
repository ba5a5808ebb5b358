"""Request ids (X-Request-ID in and out) and the JSON log lines that carry them."""

import io
import json
import logging
import re

import pytest
import requests
from django.test import Client

from apps.core.log_context import log_context
from apps.core.log_json import JsonFormatter


@pytest.fixture
def json_lines():
    """The JSON lines the project's formatter writes for `logger_name`, as a list that fills up."""
    attached = []

    def capture(logger_name: str) -> io.StringIO:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        logger = logging.getLogger(logger_name)
        logger.addHandler(handler)
        attached.append((logger, handler))
        return stream

    yield capture
    for logger, handler in attached:
        logger.removeHandler(handler)


def parsed(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_callers_request_id_comes_back_and_a_missing_or_malformed_one_is_replaced(live_url):
    given = requests.get(f"{live_url}/api/health", headers={"X-Request-ID": "lb-7f3a.9c:01"}, timeout=60)
    assert given.headers["X-Request-ID"] == "lb-7f3a.9c:01"

    made = requests.get(f"{live_url}/api/health", timeout=60)
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    assert made.headers["X-Request-ID"] != requests.get(f"{live_url}/api/health", timeout=60).headers["X-Request-ID"]

    for malformed in ("a" * 129, "two words", 'quote"d', "semi;colon"):
        answer = requests.get(f"{live_url}/accounts/login/", headers={"X-Request-ID": malformed}, timeout=60)
        assert answer.status_code == 200
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])


@pytest.mark.django_db
def test_a_requests_log_lines_are_json_and_carry_its_request_id(json_lines):
    stream = json_lines("django.request")
    answer = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="req-42")
    assert answer.status_code == 404 and answer["X-Request-ID"] == "req-42"
    [line] = parsed(stream)
    assert line["level"] == "WARNING" and line["logger"] == "django.request"
    assert "/no-such-page/" in line["message"] and line["request_id"] == "req-42"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["timestamp"])


def test_a_log_line_names_its_job_keeps_unicode_and_newlines_and_holds_the_traceback(json_lines):
    stream = json_lines("seidra.test.logs")
    logger = logging.getLogger("seidra.test.logs")
    logger.setLevel(logging.INFO)
    with log_context(job_id="job-1", request_id="req-1"):
        logger.info("ligne « accentuée »\nsur deux lignes")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    logger.info("outside")
    first, failure, outside = parsed(stream)
    assert first["message"] == "ligne « accentuée »\nsur deux lignes"
    assert (first["job_id"], first["request_id"]) == ("job-1", "req-1")
    assert failure["level"] == "ERROR" and "ValueError: boom" in failure["exc_info"]
    assert "job_id" not in outside and "request_id" not in outside
    assert len(stream.getvalue().splitlines()) == 3  # one line per record, whatever the message holds
