"""Who is acting: every write is attributed to a person, or to a named system process."""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    person_id: int | None
    name: str
    request_id: str = ""
    person: object = None


class NoActorError(RuntimeError):
    """A logged write was attempted with no actor: open `acting_as(...)` first."""


_current: ContextVar[Actor | None] = ContextVar("norma_actor", default=None)


@contextmanager
def acting_as(person=None, name: str | None = None, request_id: str | None = None):
    """Attribute every change made inside this block to `person` (or a named process)."""
    if person is None and not name:
        raise ValueError("acting_as needs a person or the name of the process that acts")
    actor = Actor(
        person_id=getattr(person, "pk", None),
        name=name or str(person),
        request_id=request_id or uuid.uuid4().hex,
        person=person,
    )
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def current_actor() -> Actor:
    actor = _current.get()
    if actor is None:
        raise NoActorError(
            "No actor is set. Web requests set one in ActorMiddleware; tasks and commands "
            "must wrap their writes in norma.core.context.acting_as(...)."
        )
    return actor
