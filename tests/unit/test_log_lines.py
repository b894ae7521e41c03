"""The log's two formats: a request's line as text for a person, a message as JSON."""

from __future__ import annotations

import json
import logging
import os
import sys

from trace.observe.logs import AccessLog, JsonFormatter


def test_a_request_in_text_is_one_line_with_what_a_person_looks_for() -> None:
    read, write = os.pipe()
    try:
        AccessLog("text", out=write).request(
            method="GET",
            route="/b/{code}",
            path="/b/K7Q2M4XW9PD3",
            status=404,
            seconds=0.0012,
            request_id="5f0c2a9e81d34b07",
            client="203.0.113.54",
            problem="urn:trace:problem:not_found",
        )
        line = os.read(read, 4096).decode()
    finally:
        os.close(read)
        os.close(write)
    assert line.endswith("\n") and line.count("\n") == 1
    assert line.split(" ", 1)[1] == (
        "GET /b/K7Q2M4XW9PD3 404 1.2ms client=203.0.113.54 id=5f0c2a9e81d34b07 "
        "problem=urn:trace:problem:not_found\n"
    )


def test_an_error_in_json_keeps_its_reference_request_id_and_traceback() -> None:
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        record = logging.getLogger("trace.api").makeRecord(
            "trace.api",
            logging.ERROR,
            __file__,
            1,
            "unhandled error %s",
            ("ab12cd34",),
            exc_info=sys.exc_info(),
            extra={"reference": "ab12cd34", "request_id": "5f0c2a9e81d34b07"},
        )
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "error" and line["logger"] == "trace.api"
    assert line["message"] == "unhandled error ab12cd34"
    assert (line["reference"], line["request_id"]) == ("ab12cd34", "5f0c2a9e81d34b07")
    assert line["exception"].endswith("ZeroDivisionError: division by zero")
    assert line["time"].endswith("Z")
