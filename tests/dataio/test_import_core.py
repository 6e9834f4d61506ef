"""The two small core additions imports rely on, and the fast insert they use.

- `reserve_references(prefix, count)`: a block of reference codes in one step;
- `record_changes(changes, insert=...)`: many chained change-log entries appended in one go.
"""

import pytest
from django.db import connection, transaction

from norma.core.changelog import (
    Change,
    compute_hash,
    entry_payload,
    record_change,
    record_changes,
    snapshot,
    verify_chain,
)
from norma.core.context import acting_as
from norma.core.models import ChangeLogEntry, next_reference
from norma.core.models.records import reserve_references
from norma.dataio.import_write import insert_objects, insert_rows
from norma.planning.models import Process
from tests.factories import make_process


def test_references_are_reserved_as_one_consecutive_block(db):
    first = next_reference("TST")
    block = reserve_references("TST", 3)
    after = next_reference("TST")
    numbers = [int(code.rsplit("-", 1)[1]) for code in [first, *block, after]]
    assert numbers == [1, 2, 3, 4, 5]
    assert block[0] == first.replace("0001", "0002")
    assert reserve_references("TST", 0) == []


@pytest.mark.parametrize("insert", [None, insert_rows], ids=["bulk_create", "executemany"])
def test_many_entries_append_as_the_same_chain_one_call_would_write(quality_manager, insert):
    make_process(quality_manager, title="Before")
    processes = [make_process(quality_manager, title=f"P{i}") for i in range(3)]
    head = ChangeLogEntry.objects.order_by("-id").first()
    with acting_as(quality_manager, request_id="req-1"):
        entries = record_changes(
            [Change(p, "review", after=snapshot(p), reason="checked") for p in processes],
            insert=insert,
        )
        record_change(processes[0], "again")
    stored = list(ChangeLogEntry.objects.filter(id__gt=head.id).order_by("id"))
    assert [e.id for e in stored] == [head.id + 1, head.id + 2, head.id + 3, head.id + 4]
    assert stored[0].prev_hash == head.hash
    for previous, entry in zip([head, *stored], stored, strict=False):
        assert entry.prev_hash == previous.hash
        assert entry.hash == compute_hash(previous.hash, entry_payload(entry))
    assert [e.hash for e in entries] == [e.hash for e in stored[:3]]
    assert stored[1].after == snapshot(processes[1])
    assert (stored[1].actor_id, stored[1].request_id) == (quality_manager.pk, "req-1")
    assert verify_chain().intact


def test_entries_appended_in_a_transaction_that_rolls_back_leave_nothing(quality_manager):
    process = make_process(quality_manager)
    count = ChangeLogEntry.objects.count()
    with pytest.raises(RuntimeError), acting_as(quality_manager), transaction.atomic():
        record_changes([Change(process, "x"), Change(process, "y")], insert=insert_rows)
        raise RuntimeError("rolled back")
    assert ChangeLogEntry.objects.count() == count
    assert verify_chain().intact


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite id allocation")
def test_fast_inserts_never_reuse_the_id_of_a_deleted_record(quality_manager):
    make_process(quality_manager, title="Kept")
    deleted = make_process(quality_manager, title="Deleted")
    deleted_id = deleted.pk
    Process.objects.filter(pk=deleted_id).delete()
    new = [Process(title=f"N{i}", reference=f"NEW-{i}", status="draft") for i in range(2)]
    insert_objects(Process, new)
    assert [p.pk for p in new] == [deleted_id + 1, deleted_id + 2]
    stored = Process.objects.get(pk=new[0].pk)
    assert stored.created_at is not None and stored.created_at == new[0].created_at
    assert (stored.title, stored.version, stored.process_type) == ("N0", 1, "core")
