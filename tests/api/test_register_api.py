import json
from tests.factories import make_process

def test_explore(api_for, quality_manager, top_manager):
    api = api_for(quality_manager)
    p = make_process(quality_manager, title="A")
    url = f"/api/v1/planning/processes/{p.reference}"
    for label, r in [
        ("malformed", api.post("/api/v1/planning/processes/", "{not json")),
        ("title num", api.post("/api/v1/planning/processes/", {"title": 5})),
        ("owner abc", api.post("/api/v1/planning/processes/", {"title": "x", "owner": "abc"})),
        ("due", api.post("/api/v1/planning/processes/", {"title": "x", "due_date": "not-a-date"})),
        ("extra", api.post("/api/v1/planning/processes/", {"title": "x", "created_by": 1})),
        ("status", api.post("/api/v1/planning/processes/", {"title": "x", "status": "approved"})),
        ("missing", api.post("/api/v1/planning/processes/", {})),
        ("owner 999", api.post("/api/v1/planning/processes/", {"title": "x", "owner": 99999})),
        ("clauses", api.post("/api/v1/planning/processes/", {"title": "x", "clauses": ["nope"]})),
        ("list body", api.post("/api/v1/planning/processes/", [1,2])),
        ("null", api.post("/api/v1/planning/processes/", "null")),
        ("delete", api.delete(url)),
        ("put", api.client.put(url, "{}", content_type="application/json")),
        ("get", api.get(url)),
        ("patch noifm", api.patch(url, {"title": "B"})),
        ("filter bad", api.get("/api/v1/planning/processes/?owner=abc")),
        ("page bad", api.get("/api/v1/planning/processes/?page=abc")),
        ("docs", api.get("/api/v1/docs")),
        ("noauth", api.client.get("/api/v1/standards/", HTTP_AUTHORIZATION="")),
        ("clause", api.get("/api/v1/standards/iso9001-2015/clauses/9.2.1")),
        ("std", api.get("/api/v1/standards/")),
    ]:
        print(label, r.status_code, dict(r.headers).get("ETag"), r.content[:400])
