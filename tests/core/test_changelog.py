"""The change log: one entry per change, in the same transaction, tamper-evident and append-only."""

import importlib
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction

from norma.core.actions import ArchiveRecord, InvalidInput, UpdateRecord
from norma.core.changelog import (
    GENESIS_HASH,
    compute_hash,
    entry_payload,
    record_change,
    snapshot,
    verify_chain,
)
from norma.core.context import NoActorError, acting_as
from norma.core.models import ChangeLogEntry
from norma.planning.actions import ApproveProcess
from norma.planning.models import Process
from tests.factories import PASSWORD, PersonFactory, make_process

APPEND_ONLY = importlib.import_module("norma.core.migrations.0002_changelog_append_only")


@contextmanager
def append_only_triggers_dropped():
    """Let a test play the attacker with database access: drop the triggers, then restore them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER core_changelog_no_change ON core_changelogentry")
        else:
            cursor.execute("DROP TRIGGER core_changelog_no_update")
            cursor.execute("DROP TRIGGER core_changelog_no_delete")
    try:
        yield
    finally:
        statements = (
            APPEND_ONLY.POSTGRESQL if connection.vendor == "postgresql" else (APPEND_ONLY.SQLITE)
        )
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def last_entry() -> ChangeLogEntry:
    return ChangeLogEntry.objects.order_by("-id").first()


def entries_for(obj):
    return ChangeLogEntry.objects.filter(object_type="planning.process", object_id=str(obj.pk))


@pytest.fixture
def chain(quality_manager, process_owner):
    """A few real entries: three creates and an update."""
    first = make_process(quality_manager, title="Sales")
    make_process(quality_manager, title="Purchasing")
    make_process(quality_manager, title="Qualité – “Ω” ✓", purpose="Ünïcode survives hashing")
    UpdateRecord(process_owner, first, data={"purpose": "Win orders"}).execute()
    return list(ChangeLogEntry.objects.order_by("id"))


# -- one entry per change, attributed ------------------------------------------------------


def test_it_logs_a_create_with_actor_and_after_values(quality_manager):
    count = ChangeLogEntry.objects.count()
    process = make_process(quality_manager, title="Sales")
    assert ChangeLogEntry.objects.count() == count + 1
    entry = last_entry()
    assert (entry.actor_id, entry.actor_name) == (quality_manager.pk, "Quinn Quality")
    assert (entry.action, entry.object_type, entry.object_id) == (
        "create",
        "planning.process",
        str(process.pk),
    )
    assert entry.before is None
    assert entry.after["title"] == "Sales"
    assert entry.after["reference"] == process.reference
    assert entry.after["created_by"] == "Quinn Quality"


def test_it_logs_an_update_with_before_and_after(quality_manager, process_owner):
    process = make_process(quality_manager, title="Sales")
    count = ChangeLogEntry.objects.count()
    UpdateRecord(process_owner, process, data={"title": "Sales and quotes"}).execute()
    assert ChangeLogEntry.objects.count() == count + 1
    entry = last_entry()
    assert (entry.actor_id, entry.actor_name, entry.action) == (
        process_owner.pk,
        "Owen Owner",
        "update",
    )
    assert (entry.before["title"], entry.after["title"]) == ("Sales", "Sales and quotes")
    assert (entry.before["version"], entry.after["version"]) == (1, 2)
    assert ("title", "Sales", "Sales and quotes") in entry.changed_fields()


def test_it_logs_an_archive_with_its_reason(quality_manager):
    process = make_process(quality_manager)
    count = ChangeLogEntry.objects.count()
    ArchiveRecord(quality_manager, process, reason="Merged into sales").execute()
    assert ChangeLogEntry.objects.count() == count + 1
    entry = last_entry()
    assert (entry.action, entry.reason) == ("archive", "Merged into sales")
    assert entry.before["archived_at"] is None
    assert entry.after["archived_at"] is not None
    assert entry.after["archive_reason"] == "Merged into sales"


def test_it_logs_an_approval_once(quality_manager, top_manager):
    process = make_process(quality_manager)
    count = ChangeLogEntry.objects.count()
    ApproveProcess(top_manager, process, data={"password": PASSWORD}).execute()
    assert ChangeLogEntry.objects.count() == count + 1
    entry = last_entry()
    assert (entry.action, entry.actor_name) == ("approve", "Tess Top")
    assert (entry.before["status"], entry.after["status"]) == ("draft", "approved")


def test_it_never_logs_the_signing_password(quality_manager, top_manager):
    process = make_process(quality_manager)
    ApproveProcess(top_manager, process, data={"password": PASSWORD}).execute()
    assert not ChangeLogEntry.objects.filter(after__icontains=PASSWORD).exists()
    assert PASSWORD not in str(last_entry().after) + str(last_entry().before)


def test_it_writes_the_entry_in_the_same_transaction_as_the_change(quality_manager):
    count = ChangeLogEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_process(quality_manager, title="Doomed")
        assert ChangeLogEntry.objects.count() == count + 1
        raise RuntimeError("the surrounding work failed")
    assert ChangeLogEntry.objects.count() == count
    assert not Process.objects.filter(title="Doomed").exists()


def test_it_writes_no_entry_when_the_change_is_refused(quality_manager):
    process = make_process(quality_manager, title="Sales")
    count = ChangeLogEntry.objects.count()
    with pytest.raises(InvalidInput):
        UpdateRecord(quality_manager, process, data={"title": "x" * 300}).execute()
    assert ChangeLogEntry.objects.count() == count
    process.refresh_from_db()
    assert (process.title, process.version) == ("Sales", 1)


def test_it_logs_web_edits_with_the_request_id(client_for, quality_manager):
    response = client_for(quality_manager).post(
        "/planning/processes/new/",
        {"title": "Made on the web", "process_type": "core"},
        headers={"X-Request-ID": "req-web-42"},
    )
    assert response.status_code == 302
    entry = last_entry()
    assert (entry.action, entry.actor_id) == ("create", quality_manager.pk)
    assert entry.request_id == "req-web-42"
    assert entry.after["title"] == "Made on the web"


def test_a_logged_write_without_an_actor_raises_no_actor_error(quality_manager):
    process = make_process(quality_manager)
    count = ChangeLogEntry.objects.count()
    with pytest.raises(NoActorError):
        record_change(process, "update", after=snapshot(process))
    assert ChangeLogEntry.objects.count() == count


def test_a_named_system_process_can_act_without_a_person(quality_manager):
    process = make_process(quality_manager)
    with acting_as(name="nightly reminder task"):
        entry = record_change(process, "remind", after={"sent": True})
    assert (entry.actor_id, entry.actor_name) == (None, "nightly reminder task")


def test_the_actor_name_survives_deleting_the_person(quality_manager):
    process = make_process(quality_manager)
    temp = PersonFactory(full_name="Terry Temporary", roles=["process_owner"])
    temp_id = temp.pk
    UpdateRecord(temp, process, data={"purpose": "Edited by a temp"}).execute()
    entry_id = last_entry().id
    temp.delete()
    entry = ChangeLogEntry.objects.get(id=entry_id)
    assert (entry.actor_id, entry.actor_name) == (temp_id, "Terry Temporary")
    assert verify_chain().intact


# -- the hash chain ---------------------------------------------------------------------------


def test_verify_chain_is_intact_on_good_data(chain):
    report = verify_chain()
    assert report.intact
    assert report.checked == ChangeLogEntry.objects.count() >= len(chain)


def test_verify_chain_walks_batches(chain):
    assert verify_chain(batch_size=2).intact


def test_each_entry_is_chained_to_the_one_before(chain):
    entries = list(ChangeLogEntry.objects.order_by("id"))
    assert entries[0].prev_hash == GENESIS_HASH
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == previous.hash
        assert entry.hash == compute_hash(previous.hash, entry_payload(entry))


@pytest.mark.parametrize(
    ("field", "forged"),
    [("after", {"title": "Something else"}), ("actor_name", "Mallory"), ("reason", "backdated")],
)
def test_verify_chain_names_an_entry_edited_in_the_database(chain, field, forged):
    target = chain[1]
    with append_only_triggers_dropped():
        ChangeLogEntry.objects.filter(id=target.id).update(**{field: forged})
    report = verify_chain()
    assert not report.intact
    assert report.broken_id == target.id
    assert f"#{target.id}" in report.problem


def test_verify_chain_names_the_gap_when_a_middle_entry_is_deleted(chain):
    middle = chain[len(chain) // 2]
    with append_only_triggers_dropped():
        ChangeLogEntry.objects.filter(id=middle.id).delete()
    report = verify_chain()
    assert not report.intact
    assert f"#{middle.id} is missing" in report.problem


def test_verify_chain_names_an_inserted_entry_with_a_forged_hash(chain):
    head = chain[-1]
    forged = ChangeLogEntry(**{**entry_payload(head), "timestamp": head.timestamp})
    forged.id, forged.actor_name, forged.prev_hash = head.id + 1, "Mallory", head.hash
    forged.hash = "f" * 64
    forged.save(force_insert=True)
    report = verify_chain()
    assert report.broken_id == head.id + 1
    assert f"#{head.id + 1}" in report.problem


def test_verify_chain_names_an_inserted_entry_that_does_not_follow_the_chain(chain):
    head = chain[-1]
    forged = ChangeLogEntry(**{**entry_payload(head), "timestamp": head.timestamp})
    forged.id, forged.prev_hash = head.id + 1, "a" * 64
    forged.hash = compute_hash(forged.prev_hash, entry_payload(forged))
    forged.save(force_insert=True)
    report = verify_chain()
    assert report.broken_id == head.id + 1
    assert "does not follow" in report.problem


# -- append-only in the database ------------------------------------------------------------


def test_the_database_refuses_a_raw_update_of_an_entry(chain):
    target = chain[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_changelogentry SET actor_name = %s WHERE id = %s", ["Mallory", target.id]
        )
    assert ChangeLogEntry.objects.get(id=target.id).actor_name == target.actor_name


def test_the_database_refuses_a_raw_delete_of_an_entry(chain):
    target = chain[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_changelogentry WHERE id = %s", [target.id])
    assert ChangeLogEntry.objects.filter(id=target.id).exists()


def test_the_database_refuses_bulk_orm_update_and_delete(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        ChangeLogEntry.objects.update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        ChangeLogEntry.objects.all().delete()
    assert ChangeLogEntry.objects.count() == len(chain)
    assert verify_chain().intact
