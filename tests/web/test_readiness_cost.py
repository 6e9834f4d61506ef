"""The readiness page costs the same whatever the number of records behind its checks."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import bulk_processes


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_readiness_page_and_api_query_counts_do_not_grow_with_processes(
    client_for, quality_manager, api_for
):
    bulk_processes(10, owner=quality_manager)
    client = client_for(quality_manager)
    api = api_for(quality_manager).client
    client.get("/standards/readiness/")
    api.get("/api/v1/readiness")
    page, endpoint = (
        queries_for(client, "/standards/readiness/"),
        queries_for(api, "/api/v1/readiness"),
    )
    bulk_processes(500, owner=quality_manager)
    assert queries_for(client, "/standards/readiness/") == page
    assert queries_for(api, "/api/v1/readiness") == endpoint
