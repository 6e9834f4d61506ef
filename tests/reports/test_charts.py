"""SVG chart builders: accessible, escaped, inert (no scripts, handlers or inline styles)."""

import re
import xml.etree.ElementTree as ET

import pytest

from norma.reports import charts

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert(1)</script>" onload="alert(2)'
EVIL_TITLE = '</title><script>alert(3)</script><svg onload="alert(4)">'


def build(kind: str, label: str = EVIL, title: str = EVIL_TITLE) -> str:
    if kind == "bar":
        return charts.bar_chart([(label, 3, "ok"), ("Other", 1)], title=title)
    if kind == "status":
        return charts.status_chart([(label, 2, "bad"), ("Met", 5, "ok")], title=title)
    return charts.progress_bar(40, 80, title=title, label=label)


@pytest.mark.parametrize("kind", ["bar", "status", "progress"])
def test_a_malicious_label_comes_out_as_escaped_text(kind):
    markup = build(kind)
    assert "<script" not in markup.lower()
    tags = re.findall(r"<[^>]*>", markup)  # text is escaped, so only real tags match
    assert not [t for t in tags if re.search(r"\son\w+\s*=", t, flags=re.I)], "event handler"
    assert not [t for t in tags if "style=" in t], "inline styles break the CSP"
    root = ET.fromstring(markup)  # well-formed: nothing broke out of its element
    assert root.tag == f"{SVG}svg"
    elements = list(root.iter())
    assert not [e for e in elements if e.tag in (f"{SVG}script", f"{SVG}foreignObject")]
    for element in elements:
        assert not [a for a in element.attrib if a.lower().startswith("on") or a == "style"]
    assert root.find(f"{SVG}title").text == EVIL_TITLE


@pytest.mark.parametrize("kind", ["bar", "status", "progress"])
def test_every_chart_is_an_accessible_image_with_title_and_description(kind):
    root = ET.fromstring(build(kind, label="Met", title="Readiness"))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Readiness" and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "chart" in root.get("class").split()


def test_the_description_reads_out_the_data():
    markup = charts.bar_chart([("Met", 3), ("Missing", 1)], title="Status")
    desc = ET.fromstring(markup).find(f"{SVG}desc").text
    assert desc == "Met: 3; Missing: 1"


def test_bar_lengths_are_proportional_and_labels_and_values_are_drawn():
    root = ET.fromstring(charts.bar_chart([("Big", 10), ("Half", 5), ("None", 0)], title="T"))
    bars = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]
    track = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "chart-track"][0]
    assert bars == [float(track.get("width")), float(track.get("width")) / 2, 0.0]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Big", "10", "Half", "5", "None", "0"]


def test_bad_numbers_count_as_zero_and_progress_never_overflows():
    root = ET.fromstring(
        charts.bar_chart([("a", -5), ("b", float("nan")), ("c", "x"), ("d", 2)], title="T")
    )
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"]
    assert values == ["0", "0", "0", "2"]
    over = ET.fromstring(charts.progress_bar(250, 100, title="T"))
    rects = {r.get("class"): float(r.get("width")) for r in over.iter(f"{SVG}rect")}
    assert rects["chart-bar"] == rects["chart-track"]
    assert [t.text for t in over.iter(f"{SVG}text")] == ["100%"]
    assert "0%" in charts.progress_bar(5, 0, title="T")


def test_status_segments_fill_the_bar_in_proportion():
    root = ET.fromstring(charts.status_chart([("Met", 3, "ok"), ("Missing", 1, "bad")], title="T"))
    segments = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "chart-segment"]
    widths = [float(s.get("width")) for s in segments]
    assert widths[0] == pytest.approx(3 * widths[1], rel=0.01)
    assert [s.get("fill") for s in segments] == [charts.TONES["ok"], charts.TONES["bad"]]
    legend = [t.text for t in root.iter(f"{SVG}text")]
    assert legend == ["Met: 3", "Missing: 1"]


def test_the_same_data_gives_the_same_markup_and_other_data_another_id():
    one = charts.bar_chart([("Met", 3)], title="T")
    assert one == charts.bar_chart([("Met", 3)], title="T")
    other = charts.bar_chart([("Met", 4)], title="T")
    assert ET.fromstring(one).find(f"{SVG}title").get("id") != ET.fromstring(other).find(
        f"{SVG}title"
    ).get("id")


def test_long_labels_are_shortened_on_the_chart_but_kept_whole_in_the_description():
    label = "A very long process name that will not fit beside the bars"
    root = ET.fromstring(charts.bar_chart([(label, 1)], title="T"))
    drawn = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"][0]
    assert drawn.endswith("…") and len(drawn) <= charts.LABEL_CHARS
    assert label in root.find(f"{SVG}desc").text


def test_the_template_tags_draw_the_same_charts_as_the_builders():
    from django.template import Context, Template

    items = [("Met", 3, "ok"), ("<b>Missing</b>", 1, "bad")]
    page = Template(
        "{% load charts %}{% bar_chart items 'Status' %}|{% status_chart items 'Status' %}"
        "|{% progress_bar 30 60 'Score' %}"
    ).render(Context({"items": items}))
    assert page.split("|") == [
        charts.bar_chart(items, title="Status"),
        charts.status_chart(items, title="Status"),
        charts.progress_bar(30, 60, title="Score"),
    ]
    assert "&lt;b&gt;Missing&lt;/b&gt;" in page and "<b>" not in page
