"""The Schemathesis run of test_schemathesis.py, on PostgreSQL (a file of its own: see there)."""

from __future__ import annotations

import pytest

from tests.fuzz.test_schemathesis import (
    test_schemathesis_finds_no_server_error_and_no_answer_off_the_description,
)

__all__ = ["test_schemathesis_finds_no_server_error_and_no_answer_off_the_description"]


@pytest.fixture
def backend() -> str:
    return "postgres"
