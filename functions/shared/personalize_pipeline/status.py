"""How the pipeline reads Personalize statuses: one pure function, tested over every status string.

Personalize spells statuses with a space before PENDING and an underscore in IN_PROGRESS
(``CREATE IN_PROGRESS``); the poll loops only need to know which of four phases a resource is in.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    ACTIVE = "ACTIVE"  # ready: the pipeline moves on
    IN_PROGRESS = "IN_PROGRESS"  # still being created or updated: wait and check again
    FAILED = "FAILED"  # creation or update failed, or training was stopped: the run fails
    DELETING = "DELETING"  # someone is deleting it: the run cannot use it
    STOPPED = "STOPPED"  # someone stopped it (a recommender): the run does not restart its billing by itself


#: Every status string the resources this pipeline manages can report (personalize-facts §2).
KNOWN_STATUSES: dict[str, Phase] = {
    "ACTIVE": Phase.ACTIVE,
    "CREATE PENDING": Phase.IN_PROGRESS,
    "CREATE IN_PROGRESS": Phase.IN_PROGRESS,
    "UPDATE PENDING": Phase.IN_PROGRESS,
    "UPDATE IN_PROGRESS": Phase.IN_PROGRESS,
    "CREATE FAILED": Phase.FAILED,
    "UPDATE FAILED": Phase.FAILED,
    "CREATE STOPPING": Phase.FAILED,
    "CREATE STOPPED": Phase.FAILED,
    "START PENDING": Phase.IN_PROGRESS,
    "START IN_PROGRESS": Phase.IN_PROGRESS,
    "STOP PENDING": Phase.STOPPED,
    "STOP IN_PROGRESS": Phase.STOPPED,
    "INACTIVE": Phase.STOPPED,
    "DELETE PENDING": Phase.DELETING,
    "DELETE IN_PROGRESS": Phase.DELETING,
}


def phase_of(status: str) -> Phase:
    """Map a Personalize status string to the pipeline's phase.

    An unknown status is treated as still in progress: the deadline of the poll loop bounds it, which is
    safer than failing a long training run because the service added a new intermediate status.
    """
    return KNOWN_STATUSES.get(status.strip().upper(), Phase.IN_PROGRESS)
