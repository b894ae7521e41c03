"""Capture jobs (EPCIS 2.0 REST binding, ``/capture/{captureID}``): what each capture did.

A capture is carried out before its ``202`` answer, so a job that can be read has finished
(``running`` is false). ``errors`` are RFC 7807 problems, one per refused event, worded in
the language of whoever reads the job: the job keeps each error's code and parameters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.errors import DomainError, error_type
from trace.domain.record import from_us
from trace.epcis.errors import EPCIS_EXCEPTIONS, UnknownCaptureJob
from trace.store.database import Reads
from trace.store.tables import epcis_capture_jobs
from trace.translation import say


class Behaviour(StrEnum):
    """``GS1-Capture-Error-Behaviour``: all or nothing, or as many events as pass."""

    ROLLBACK = "rollback"
    PROCEED = "proceed"


class EventError(msgspec.Struct, frozen=True):
    """Why the event at ``index`` of the document was not captured."""

    index: int
    event_id: str | None
    code: str
    params: dict[str, Any]

    @classmethod
    def of(cls, index: int, event_id: str | None, error: DomainError) -> EventError:
        """The error of one event, from the domain error that refused it."""
        params = msgspec.to_builtins({"detail": error.detail, **error.params}, enc_hook=str)
        return cls(index, event_id, error.code, params)


@dataclass
class CaptureJob:
    """One capture: who sent it, how errors were to be treated, what was kept and refused."""

    agency_id: str
    behaviour: Behaviour
    created_at_us: int
    finished_at_us: int = 0
    event_ids: list[str] = field(default_factory=list)
    errors: list[EventError] = field(default_factory=list)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def success(self) -> bool:
        """No event was refused (under ``rollback``, then and only then was anything kept)."""
        return not self.errors


async def save_job(conn: AsyncConnection, job: CaptureJob) -> None:
    """Write the finished job (in the capture's own transaction when it kept events)."""
    await conn.execute(
        insert(epcis_capture_jobs).values(
            id=job.id,
            agency_id=job.agency_id,
            behaviour=job.behaviour.value,
            created_at_us=job.created_at_us,
            finished_at_us=job.finished_at_us,
            success=job.success,
            event_ids=msgspec.json.encode(job.event_ids).decode(),
            errors=msgspec.json.encode(job.errors).decode(),
        )
    )


async def load_job(conn: Reads, job_id: str, agency_id: str) -> CaptureJob:
    """The job ``job_id`` of agency ``agency_id``; another agency's jobs are not found."""
    row = (
        await conn.execute(
            select(epcis_capture_jobs).where(
                epcis_capture_jobs.c.id == job_id, epcis_capture_jobs.c.agency_id == agency_id
            )
        )
    ).first()
    if row is None:
        raise UnknownCaptureJob(f"no capture job {job_id}", what="capture", id=job_id)
    return CaptureJob(
        agency_id=row.agency_id,
        behaviour=Behaviour(row.behaviour),
        created_at_us=row.created_at_us,
        finished_at_us=row.finished_at_us,
        event_ids=msgspec.json.decode(row.event_ids, type=list[str]),
        errors=msgspec.json.decode(row.errors, type=list[EventError]),
        id=row.id,
    )


def _time(micros: int) -> str:
    return from_us(micros).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _problem(error: EventError, lang: str) -> dict[str, Any]:
    name, status = EPCIS_EXCEPTIONS.get(error.code, ("ValidationException", 400))
    return {
        "type": f"epcisException:{name}",
        "title": error.code.replace("_", " "),
        "status": status,
        "code": error.code,
        "detail": say(error_type(error.code).words_for(error.params), lang, **error.params),
        "eventIndex": error.index,
        "eventID": error.event_id,
    }


def job_document(job: CaptureJob, lang: str) -> dict[str, Any]:
    """The capture job as the REST binding's ``CaptureJob`` (and the IDs of the kept events)."""
    return {
        "captureID": job.id,
        "createdAt": _time(job.created_at_us),
        "finishedAt": _time(job.finished_at_us),
        "running": False,
        "success": job.success,
        "captureErrorBehaviour": job.behaviour.value,
        "errors": [_problem(error, lang) for error in job.errors],
        "capturedEventIDs": job.event_ids,
    }
