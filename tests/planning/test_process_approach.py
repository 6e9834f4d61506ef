"""4.4 the process approach made visible: the process page (SIPOC, hand-overs both ways and
everything linked to the process), its turtle diagram, the process map, the flow order of a
map row, and hand-overs edited through the form and kept in the change log."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from norma.core.actions import ArchiveRecord, UpdateRecord
from norma.core.models import ChangeLogEntry, RoleCode
from norma.documents.registers import DocumentRegister
from norma.planning.models import Kpi, Process, Risk
from norma.planning.process_map import _flow_order
from norma.planning.registers import KpiRegister, ProcessRegister, RiskRegister
from tests.conftest import PERSONAS
from tests.factories import (
    PersonFactory,
    bulk_documents,
    bulk_planning_records,
    bulk_processes,
    make_document,
    make_planning_record,
    make_process,
    measure_process,
)
from tests.kit import count_queries, form_data

MAP = "/planning/process-map/"
KPI = {"unit": "%", "frequency": "monthly", "direction": "higher", "target": Decimal("95")}
RISK = {"likelihood": 2, "consequence": 3}
make_kpi = make_planning_record(Kpi, {"title": "KPI", **KPI})
make_risk = make_planning_record(Risk, {"title": "Risk", **RISK})
MAKERS = {"kpi": make_kpi, "risk": make_risk, "document": make_document}
REGISTERS = {"kpi": KpiRegister, "risk": RiskRegister, "document": DocumentRegister}
BOX = re.compile(r'<a href="([^"]+)" aria-label="[^"]*"><rect x="([\d.]+)" y="([\d.]+)"')


def detail(process) -> str:
    return reverse("planning:process_detail", args=[process.reference])


def turtle(process) -> str:
    return reverse("planning:process_turtle", args=[process.reference])


def hand_over(actor, process, *targets):
    UpdateRecord(actor, process, data={"hands_over_to": list(targets)}).execute()


def archive(actor, obj):
    ArchiveRecord(actor, obj, reason="No longer used").execute()


def shown(page: str, reference: str) -> bool:
    return f">{reference}<" in page


def sections(page: str) -> dict[str, tuple[int, str]]:
    """The linked-register sections of a process page: title -> (count, section HTML)."""
    found = re.findall(
        r'<h2>([^<]+) <span class="count">(\d+)</span></h2>(.*?)</section>', page, re.S
    )
    return {title: (int(count), body) for title, count, body in found}


def boxes(page: str) -> dict[str, tuple[float, float]]:
    """The process map's boxes: the link of each box -> (x, y) of its rectangle."""
    return {href: (float(x), float(y)) for href, x, y in BOX.findall(page)}


# -- the process page ------------------------------------------------------------------------


def test_process_page_shows_sipoc_and_links_the_processes_on_either_side(
    client_for, quality_manager
):
    process = make_process(
        quality_manager,
        title="Machining",
        suppliers="Steel mills",
        inputs="Bar stock",
        outputs="Machined parts",
        customers="Assembly line",
    )
    purchasing = make_process(quality_manager, title="Purchasing", process_type="support")
    delivery = make_process(quality_manager, title="Delivery")
    hand_over(quality_manager, purchasing, process)
    hand_over(quality_manager, process, delivery)

    page = client_for(quality_manager).get(detail(process)).content.decode()

    table = re.search(r'<table class="table sipoc">.*?</table>', page, re.S).group()
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)
    assert len(cells) == 5
    suppliers, inputs, middle, outputs, customers = cells
    assert "Steel mills" in suppliers
    assert f'<a href="{detail(purchasing)}">Purchasing</a>' in suppliers
    assert "Delivery" not in suppliers
    assert "Bar stock" in inputs and "Machined parts" in outputs and "Machining" in middle
    assert "Assembly line" in customers
    assert f'<a href="{detail(delivery)}">Delivery</a>' in customers
    assert "Purchasing" not in customers


def test_process_page_lists_its_own_live_kpis_risks_and_documents_with_counts(
    client_for, quality_manager
):
    process = make_process(quality_manager, title="Machining")
    other = make_process(quality_manager, title="Sales")
    kpis = [measure_process(quality_manager, process), make_kpi(quality_manager, process=process)]
    risks = [make_risk(quality_manager, title=f"Risk {i}", process=process) for i in range(3)]
    documents = [make_document(quality_manager, title="Machining procedure", process=process)]
    archived = make_risk(quality_manager, title="Old risk", process=process)
    archive(quality_manager, archived)
    elsewhere = [
        make_kpi(quality_manager, process=other),
        make_risk(quality_manager, process=other),
        make_document(quality_manager, process=other),
    ]

    page = client_for(quality_manager).get(detail(process)).content.decode()

    found = sections(page)
    counts = {title: count for title, (count, _) in found.items() if count}
    assert counts == {KpiRegister.title(): 2, RiskRegister.title(): 3, DocumentRegister.title(): 1}
    for title, records in [
        (KpiRegister.title(), kpis),
        (RiskRegister.title(), risks),
        (DocumentRegister.title(), documents),
    ]:
        assert all(shown(found[title][1], r.reference) for r in records), title
    for record in [archived, *elsewhere]:
        assert not shown(page, record.reference), record.reference
    assert "All " not in page


def test_person_limited_to_leeds_sees_no_porto_risk_on_the_process_page(
    client_for, quality_manager, leeds, porto
):
    process = make_process(quality_manager, title="Machining")
    in_leeds = make_risk(quality_manager, title="Leeds risk", process=process, site=leeds)
    in_porto = make_risk(quality_manager, title="Porto risk", process=process, site=porto)
    leeds_employee = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])

    page = client_for(leeds_employee).get(detail(process)).content.decode()

    count, body = sections(page)[RiskRegister.title()]
    assert count == 1
    assert shown(body, in_leeds.reference)
    assert not shown(page, in_porto.reference)
    assert "Porto risk" not in page


def test_person_limited_to_leeds_sees_no_porto_process_among_the_hand_overs(
    client_for, quality_manager, leeds, porto
):
    process = make_process(quality_manager, title="Machining")
    porto_sales = make_process(quality_manager, title="Porto sales", site=porto)
    porto_delivery = make_process(quality_manager, title="Porto delivery", site=porto)
    hand_over(quality_manager, porto_sales, process)
    hand_over(quality_manager, process, porto_delivery)
    leeds_employee = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])

    page = client_for(leeds_employee).get(detail(process)).content.decode()

    assert "Porto sales" not in page
    assert "Porto delivery" not in page


@pytest.mark.parametrize("kind", ["kpi", "risk", "document"])
def test_more_than_ten_linked_records_link_to_the_list_filtered_by_process(
    client_for, quality_manager, kind
):
    make, register = MAKERS[kind], REGISTERS[kind]
    process = make_process(quality_manager, title="Machining")
    other = make_process(quality_manager, title="Sales")
    mine = [make(quality_manager, title=f"Linked {i}", process=process) for i in range(12)]
    theirs = make(quality_manager, title="Someone else's", process=other)
    client = client_for(quality_manager)

    page = client.get(detail(process)).content.decode()

    count, body = sections(page)[register.title()]
    assert count == 12
    assert len(re.findall(r"<tr>", body)) == 10
    list_url = f"{reverse(register.url_name('list'))}?process={process.pk}"
    assert f'<a href="{list_url}">All 12</a>' in body
    listed = client.get(list_url).content.decode()
    assert [r.reference for r in mine if not shown(listed, r.reference)] == []
    assert not shown(listed, theirs.reference)


def test_process_page_queries_do_not_grow_with_linked_records(client_for, quality_manager):
    """40 linked records per register cost the same queries as 2 (each section reads its
    first rows and counts them all)."""
    process = make_process(quality_manager, title="Machining")
    bulk_kpis = bulk_planning_records(Kpi, "KPI", KPI)
    bulk_risks = bulk_planning_records(Risk, "RSK", RISK)

    def link(count):
        bulk_kpis(count, process=process)
        bulk_risks(count, process=process)
        bulk_documents(count, process=process)

    client = client_for(quality_manager)
    link(2)
    client.get(detail(process))
    few, _ = count_queries(client, detail(process))
    link(38)
    many, queries = count_queries(client, detail(process))
    assert few == many, "\n".join(queries)


# -- the turtle diagram ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_turtle_page_opens_for_every_role_but_nobody(client_for, quality_manager, persona):
    process = make_process(quality_manager, title="Machining")
    response = client_for(persona).get(turtle(process))
    assert response.status_code == (403 if persona.full_name == "No Role" else 200)


def test_turtle_page_is_not_found_for_unknown_or_out_of_scope_processes(
    client_for, quality_manager, leeds, porto
):
    in_porto = make_process(quality_manager, title="Porto machining", site=porto)
    in_leeds = make_process(quality_manager, title="Leeds machining", site=leeds)
    client = client_for(PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds]))
    assert client.get(turtle(in_leeds)).status_code == 200
    assert client.get(turtle(in_porto)).status_code == 404
    assert client.get("/planning/processes/PRC-0000-99999/turtle/").status_code == 404


def test_turtle_page_answers_with_what_whom_how_and_how_well(
    client_for, quality_manager, process_owner
):
    process = make_process(
        quality_manager,
        title="Machining",
        owner=process_owner,
        resources="CNC lathes",
        inputs="Bar stock",
        suppliers="Steel mills",
        outputs="Machined parts",
        customers="Assembly line",
        criteria="First-pass yield",
    )
    document = make_document(quality_manager, title="Machining procedure", process=process)
    kpi = measure_process(quality_manager, process, value="97")  # target 95: on track
    risk = make_risk(
        quality_manager, title="Breakage", process=process, likelihood=4, consequence=4
    )
    other = make_risk(quality_manager, title="Not this process")

    page = client_for(quality_manager).get(turtle(process)).content.decode()

    box = dict(re.findall(r'<section class="card turtle-([\w-]+)">(.*?)</section>', page, re.S))
    assert "CNC lathes" in box["with-what"]
    assert "Owen Owner" in box["with-whom"]
    assert "Bar stock" in box["inputs"] and "Steel mills" in box["inputs"]
    assert "Machined parts" in box["outputs"] and "Assembly line" in box["outputs"]
    assert "First-pass yield" in box["how"] and shown(box["how"], document.reference)
    assert shown(box["how-well"], kpi.reference) and "On track" in box["how-well"]
    assert shown(box["how-well"], risk.reference) and "High" in box["how-well"]
    assert not shown(page, other.reference)


# -- the process map -------------------------------------------------------------------------


def test_process_map_is_forbidden_to_nobody(client_for, nobody):
    assert client_for(nobody).get(MAP).status_code == 403


def test_empty_process_map_offers_to_define_the_first_process(client_for, quality_manager):
    page = client_for(quality_manager).get(MAP).content.decode()
    assert "No processes yet." in page
    assert f'href="{reverse("planning:process_create")}"' in page
    assert "<svg" not in page.split('class="card map"')[1]


def test_process_map_draws_each_live_process_in_its_row_and_each_hand_over(
    client_for, quality_manager
):
    leading = make_process(quality_manager, title="Leadership", process_type="management")
    machining = make_process(quality_manager, title="Machining")
    delivery = make_process(quality_manager, title="Delivery")
    buying = make_process(quality_manager, title="Purchasing", process_type="support")
    old = make_process(quality_manager, title="Old stores", process_type="support")
    hand_over(quality_manager, leading, machining)
    hand_over(quality_manager, machining, delivery, machining)  # the second is to itself
    hand_over(quality_manager, buying, machining, old)
    hand_over(quality_manager, old, machining)
    archive(quality_manager, old)

    page = client_for(quality_manager).get(MAP).content.decode()

    drawn = boxes(page)
    assert set(drawn) == {detail(p) for p in (leading, machining, delivery, buying)}
    top, middle, bottom = drawn[detail(leading)], drawn[detail(machining)], drawn[detail(buying)]
    assert drawn[detail(delivery)][1] == middle[1]
    assert top[1] < middle[1] < bottom[1]
    assert "Old stores" not in page
    assert page.count('class="map-arrow"') == 3  # leading, machining and buying; not to itself


def test_process_map_escapes_titles(client_for, quality_manager):
    make_process(quality_manager, title="<script>alert(1)</script>")
    page = client_for(quality_manager).get(MAP).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("count, notice", [(60, False), (61, True)])
def test_process_map_draws_the_first_sixty_processes(client_for, quality_manager, count, notice):
    bulk_processes(count)
    page = client_for(quality_manager).get(MAP).content.decode()
    assert len(boxes(page)) == 60
    assert ("The first 60 processes are drawn" in page) is notice


def test_process_map_queries_do_not_grow_with_processes(client_for, quality_manager):
    links = Process.hands_over_to.through

    def add(count):
        rows = [
            *bulk_processes(count - 2 * (count // 3), process_type="core"),
            *bulk_processes(count // 3, process_type="management"),
            *bulk_processes(count // 3, process_type="support"),
        ]
        links.objects.bulk_create(
            links(from_process=a, to_process=b)
            for a, b in zip(rows, rows[1:] + rows[:1], strict=True)
        )
        links.objects.bulk_create(
            links(from_process=a, to_process=b) for a, b in zip(rows, rows[2:], strict=False)
        )

    client = client_for(quality_manager)
    add(5)
    client.get(MAP)
    few, _ = count_queries(client, MAP)
    add(45)
    many, sql = count_queries(client, MAP)
    assert len(boxes(client.get(MAP).content.decode())) == 50
    assert many == few, f"{few} queries with 5 processes, {many} with 50:\n" + "\n".join(sql)


# -- the order of a row: the way work flows --------------------------------------------------


def chain(actor, titles, loop_back=False, entry=None):
    """Processes A -> B -> C (C -> A too when `loop_back`), `entry` -> A; in title order."""
    made = [make_process(actor, title=title) for title in titles]
    a, b, c = made[:3]
    hand_over(actor, a, b)
    hand_over(actor, b, c)
    if loop_back:
        hand_over(actor, c, a)
    if entry:
        hand_over(actor, make_process(actor, title=entry), a)
    members = Process.objects.order_by("title").prefetch_related("hands_over_to")
    return [p.title for p in _flow_order(list(members))]


def test_flow_order_follows_the_hand_overs_not_the_alphabet(quality_manager):
    assert chain(quality_manager, ["Sales", "Making", "Delivery"]) == [
        "Sales",
        "Making",
        "Delivery",
    ]


@pytest.mark.parametrize(
    "titles", [["Sales", "Making", "Delivery"], ["Sales", "Delivery", "Making"]]
)
def test_flow_order_follows_a_closed_loop_from_one_of_its_processes(quality_manager, titles):
    """Nothing feeds a closed loop from outside, so it is walked from its first title; the
    hand-overs are then followed in order."""
    order = chain(quality_manager, titles, loop_back=True)
    first = min(titles)
    start = titles.index(first)
    assert order == titles[start:] + titles[:start]


def test_flow_order_enters_a_loop_where_work_comes_into_it(quality_manager):
    order = chain(quality_manager, ["Making", "Intake", "Delivery"], loop_back=True, entry="Sales")
    assert order == ["Sales", "Making", "Intake", "Delivery"]


# -- hand-overs through the edit form --------------------------------------------------------


def test_hand_overs_edited_in_the_form_are_kept_and_logged(client_for, quality_manager):
    process = make_process(quality_manager, title="Machining")
    assembly = make_process(quality_manager, title="Assembly")
    delivery = make_process(quality_manager, title="Delivery")
    data = form_data(ProcessRegister, process, hands_over_to=[str(assembly.pk), str(delivery.pk)])

    response = client_for(quality_manager).post(
        reverse("planning:process_edit", args=[process.reference]), data
    )

    assert response.status_code == 302
    assert set(process.hands_over_to.all()) == {assembly, delivery}
    assert set(delivery.receives_from.all()) == {process}
    entry = ChangeLogEntry.objects.get(
        object_type="planning.process", object_id=str(process.pk), action="update"
    )
    assert entry.before["hands_over_to"] == []
    assert entry.after["hands_over_to"] == sorted([str(assembly), str(delivery)])
