""" "My tasks" beyond the records a person owns: apps contribute them in a `todo.py` module.

    @todo_source
    def documents_to_read(person) -> list[Task]: ...

Each source must run a fixed number of queries, whatever the size of the organisation.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules


@dataclass
class Task:
    due_date: datetime.date
    reference: str
    title: str
    url: str
    kind: str  # the register, or what is asked ("Read and acknowledge")
    status: str

    @property
    def is_overdue(self) -> bool:
        return self.due_date < timezone.localdate()


_sources: list[Callable] = []


def todo_source(function: Callable) -> Callable:
    if function not in _sources:
        _sources.append(function)
    return function


def contributed_tasks(person) -> list[Task]:
    autodiscover_modules("todo")
    return [task for source in _sources for task in source(person)]
