"""Search ranks matches unless a word is in so many documents that ranking tells nothing; then
the newest come first (SQLite FTS5 reads them in index order, without ranking every match)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from norma.documents import search
from tests.factories import bulk_documents, make_document

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL ranks every match with its GIN index"
)


def titles(person, text):
    return [hit.document.title for hit in search.search(person, text)]


@pytest.fixture
def indexed(quality_manager):
    """Three documents with 'torque' in the title, the shortest (best ranked) the oldest."""
    from norma.documents.workflow import index_document

    made = [
        make_document(quality_manager, title=title)
        for title in ("Torque", "Torque wrench use", "Torque wrench use and care at the bench")
    ]
    for document in made:
        index_document(document)
    return made


def test_a_rare_word_is_ranked(indexed, employee, monkeypatch):
    monkeypatch.setattr(search, "RANKED_AT_MOST", 3)
    assert titles(employee, "torque") == [
        "Torque",
        "Torque wrench use",
        "Torque wrench use and care at the bench",
    ]


def test_a_word_in_too_many_documents_lists_the_newest_first(indexed, employee, monkeypatch):
    monkeypatch.setattr(search, "RANKED_AT_MOST", 2)
    assert titles(employee, "torque") == [
        "Torque wrench use and care at the bench",
        "Torque wrench use",
        "Torque",
    ]


def test_the_number_of_queries_does_not_depend_on_how_common_the_word_is(
    indexed, employee, monkeypatch
):
    bulk_documents(5)
    search.search(employee, "torque")  # the person's scope, read once
    counts = []
    for cap in (2, 1000):
        monkeypatch.setattr(search, "RANKED_AT_MOST", cap)
        with CaptureQueriesContext(connection) as captured:
            search.search(employee, "torque")
        counts.append(len(captured))
    assert counts[0] == counts[1]
