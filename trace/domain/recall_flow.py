"""The recall workflow: the steps after a recall is issued, and who may record each.

A recall is a `recalled` record. Each later step is a signed record of its own that names
the recall by its record hash (``body.recall``):

- ``recall_notified``, on the recalled batch, by the authority that issued the recall: the
  holders in its reach have been told (by the webhooks' notices, and by letter or telephone
  for those without one). The authority records it, not the service: only the authority
  knows whether the holders without a webhook were told, and a statement signed in its
  name must be its own.
- ``withdrawn``, on a batch the recall reaches, by the batch's holder: what it took off
  sale, with the quantity; as many as it makes.
- ``recall_closed``, on the recalled batch, by the issuing authority, with a note. The goods
  stay recalled (the pages keep the banner); a closed recall takes no more steps.

The store finds the :class:`RecallContext` a step names, inside the append transaction,
and :func:`check_recall_step` says whether the step may be recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from trace.domain.errors import NotPermitted
from trace.domain.kinds import EventKind
from trace.domain.texts import N_

STEP_KINDS = frozenset({EventKind.RECALL_NOTIFIED, EventKind.WITHDRAWN, EventKind.RECALL_CLOSED})
# Steps the issuing authority records on the recalled batch itself.
AUTHORITY_STEPS = frozenset({EventKind.RECALL_NOTIFIED, EventKind.RECALL_CLOSED})


class RecallState(StrEnum):
    """How far a recall has gone, in the order of its steps."""

    ISSUED = "issued"  # recorded; nobody has declared the holders told yet
    NOTIFIED = "notified"  # the authority declared the holders told
    WITHDRAWING = "withdrawing"  # at least one holder recorded a withdrawal
    CLOSED = "closed"  # the authority closed it


# What a reader calls each state: English here, translated where shown.
STATE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        RecallState.ISSUED: N_("issued"),
        RecallState.NOTIFIED: N_("holders notified"),
        RecallState.WITHDRAWING: N_("goods being withdrawn"),
        RecallState.CLOSED: N_("closed"),
    }
)


def recall_state(*, notified: bool, withdrawals: int, closed: bool) -> RecallState:
    """The state of a recall with these steps recorded: the furthest one reached."""
    if closed:
        return RecallState.CLOSED
    if withdrawals:
        return RecallState.WITHDRAWING
    return RecallState.NOTIFIED if notified else RecallState.ISSUED


@dataclass(frozen=True, slots=True)
class RecallContext:
    """What the rules need to know of the recall a step names.

    ``batch`` is the recalled batch; ``reaches`` whether the recall reaches the batch the
    step is recorded on (it is that batch, or one made from it); ``corrected`` whether a
    correction withdrew the recall; ``closed`` whether it is closed already.
    """

    position: int
    batch: str
    authority: str
    reaches: bool
    corrected: bool
    closed: bool


def _refuse(detail: str, rule: str, kind: EventKind, **params: object) -> NotPermitted:
    return NotPermitted(detail, rule=rule, kind=kind.value, **params)


def check_recall_step(
    kind: EventKind, recall: RecallContext | None, *, actor_id: str, batch_id: str, holder: str
) -> None:
    """Raise :class:`NotPermitted` unless ``actor_id`` may record step ``kind`` of ``recall``
    on batch ``batch_id`` (held by ``holder``); ``recall`` is None when no recall has the
    record hash the step names."""
    if recall is None:
        raise _refuse("the step names no recall", "recall_unknown", kind, batch=batch_id)
    if recall.corrected:
        raise _refuse(
            f"the recall {recall.position} was withdrawn by a correction",
            "recall_corrected",
            kind,
            recall=recall.position,
        )
    if recall.closed:
        raise _refuse(
            f"the recall {recall.position} is closed", "recall_closed", kind, recall=recall.position
        )
    if kind in AUTHORITY_STEPS:
        if recall.batch != batch_id:
            raise _refuse(
                f"the recall {recall.position} is not a recall of batch {batch_id}",
                "recall_not_of_batch",
                kind,
                recall=recall.position,
            )
        if actor_id != recall.authority:
            raise _refuse(
                "only the authority that issued a recall may record its steps",
                "not_recall_authority",
                kind,
                recall=recall.position,
            )
        return
    if not recall.reaches:
        raise _refuse(
            f"the recall {recall.position} does not reach batch {batch_id}",
            "recall_does_not_reach_batch",
            kind,
            recall=recall.position,
            batch=batch_id,
        )
    if actor_id != holder:
        raise _refuse(
            f"only the current holder of batch {batch_id} may record withdrawn",
            "not_current_holder",
            kind,
            batch=batch_id,
        )
