"""The process map as SVG: management processes on top, core processes in the middle,
support processes below, and an arrow for each hand-over between them."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from norma.planning.models import ProcessType
from norma.reports.charts import FONT, INK, MUTED, TONES

ROWS = [ProcessType.MANAGEMENT, ProcessType.CORE, ProcessType.SUPPORT]
FILLS = {
    ProcessType.MANAGEMENT: "#e3edff",
    ProcessType.CORE: "#dcf3e5",
    ProcessType.SUPPORT: "#fff1d6",
}
BOX_W, BOX_H, GAP_X, ROW_H, LEFT, TOP = 150, 52, 36, 130, 110, 40
LABEL_CHARS = 22


def _lines(title: str) -> list[str]:
    """A title in at most two lines of LABEL_CHARS."""
    words, lines = title.split(), [""]
    for word in words:
        if len(lines[-1]) + len(word) + 1 > LABEL_CHARS and lines[-1]:
            if len(lines) == 2:
                lines[-1] = lines[-1][: LABEL_CHARS - 1] + "…"
                break
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


def _flow_order(members) -> list:
    """A row in the order work flows through it: each process after those that hand it
    work. Hand-overs that close a loop are dropped first (a depth-first walk from the
    processes nobody in the row feeds, then the rest, by title), so a loop is entered where
    work comes into it."""
    by_title = sorted(members, key=lambda p: p.title)
    inside = {p.pk for p in members}
    feeds = {p.pk: [t.pk for t in p.hands_over_to.all() if t.pk in inside] for p in by_title}
    fed = {target for targets in feeds.values() for target in targets}
    starts = [p.pk for p in by_title if p.pk not in fed] + [p.pk for p in by_title]
    state, finished, forward = {}, [], {pk: [] for pk in inside}
    for start in starts:
        if start in state:
            continue
        stack = [(start, iter(feeds[start]))]
        state[start] = "open"
        while stack:
            node, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                state[node] = "done"
                finished.append(node)
                stack.pop()
            elif state.get(target) != "open":  # an edge back into the walk closes a loop
                forward[node].append(target)
                if target not in state:
                    state[target] = "open"
                    stack.append((target, iter(feeds[target])))
    rank = dict.fromkeys(inside, 0)
    for node in reversed(finished):  # a topological order of what is left
        for target in forward[node]:
            rank[target] = max(rank[target], rank[node] + 1)
    return sorted(members, key=lambda p: (rank[p.pk], p.title))


def _layout(processes) -> dict[int, tuple[float, float]]:
    """Top-left corner of each process's box: one row per type, in flow order."""
    places = {}
    for row, kind in enumerate(ROWS):
        members = _flow_order([p for p in processes if p.process_type == kind])
        for column, process in enumerate(members):
            places[process.pk] = (LEFT + column * (BOX_W + GAP_X), TOP + row * ROW_H)
    return places


def _arrow(start, end, right_edge: float) -> SafeString:
    """A hand-over from one box to another: straight to a neighbour, otherwise curved around
    the boxes between (above the row, or along the right of the map), so no line crosses a
    box."""
    (x1, y1), (x2, y2) = start, end
    if y1 == y2 and abs(x2 - x1) <= BOX_W + GAP_X:  # neighbours in a row
        sx, ex = (x1 + BOX_W, x2) if x2 > x1 else (x1, x2 + BOX_W)
        path = f"M {sx} {y1 + BOX_H / 2} L {ex} {y2 + BOX_H / 2}"
    elif y1 == y2:  # further along the row: an arc through the gap above it
        top = y1 - 30
        path = f"M {x1 + BOX_W / 2} {y1} C {x1 + BOX_W / 2} {top} {x2 + BOX_W / 2} {top} "
        path += f"{x2 + BOX_W / 2} {y2}"
    elif abs(y2 - y1) <= ROW_H:  # the next row: bottom to top (or top to bottom)
        sy, ey = (y1 + BOX_H, y2) if y2 > y1 else (y1, y2 + BOX_H)
        path = f"M {x1 + BOX_W / 2} {sy} L {x2 + BOX_W / 2} {ey}"
    else:  # across a row: out to the right of the map and back
        side = right_edge + 20
        path = f"M {x1 + BOX_W} {y1 + BOX_H / 2} C {side} {y1 + BOX_H / 2} {side} "
        path += f"{y2 + BOX_H / 2} {x2 + BOX_W} {y2 + BOX_H / 2}"
    return format_html(
        '<path class="map-arrow" d="{}" fill="none" stroke="{}" stroke-width="1.5" '
        'marker-end="url(#map-arrowhead)"/>',
        path,
        MUTED,
    )


def process_map_svg(processes, links: dict[int, str]) -> SafeString:
    places = _layout(processes)
    columns = max([sum(1 for p in processes if p.process_type == k) for k in ROWS] + [1])
    right_edge = LEFT + columns * (BOX_W + GAP_X) - GAP_X
    width = right_edge + 60
    height = TOP + len(ROWS) * ROW_H
    labels = format_html_join(
        "",
        '<text x="8" y="{}" font-size="12" font-weight="bold" fill="{}">{}</text>',
        (
            (TOP + row * ROW_H + BOX_H / 2 + 4, MUTED, kind.label.split(" (")[0])
            for row, kind in enumerate(ROWS)
        ),
    )
    arrows = [
        _arrow(places[p.pk], places[target.pk], right_edge)
        for p in processes
        for target in p.hands_over_to.all()
        if target.pk in places and target.pk != p.pk
    ]
    boxes = []
    for process in processes:
        x, y = places[process.pk]
        lines = _lines(process.title)
        text = format_html_join(
            "",
            '<tspan x="{}" dy="{}">{}</tspan>',
            ((x + BOX_W / 2, 0 if i == 0 else 15, line) for i, line in enumerate(lines)),
        )
        first_y = y + BOX_H / 2 + (4 if len(lines) == 1 else -3)
        boxes.append(
            format_html(
                '<a href="{}" aria-label="{} {}"><rect x="{}" y="{}" width="{}" height="{}" '
                'rx="6" fill="{}" stroke="{}"/><text x="{}" y="{}" text-anchor="middle" '
                'font-size="12" fill="{}">{}</text></a>',
                links[process.pk],
                process.reference,
                process.title,
                x,
                y,
                BOX_W,
                BOX_H,
                FILLS[process.process_type],
                TONES["neutral"],
                x + BOX_W / 2,
                first_y,
                INK,
                text,
            )
        )
    arrowhead = format_html(
        '<defs><marker id="map-arrowhead" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="{}"/></marker></defs>',
        MUTED,
    )
    description = f"{len(processes)} processes and {len(arrows)} hand-overs between them."
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-map" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-labelledby="map-title map-desc" '
        'font-family="{font}"><title id="map-title">Process map</title>'
        '<desc id="map-desc">{desc}</desc>{defs}{labels}{arrows}{boxes}</svg>',
        w=width,
        h=height,
        font=FONT,
        desc=description,
        defs=arrowhead,
        labels=labels,
        arrows=format_html_join("", "{}", ((a,) for a in arrows)),
        boxes=format_html_join("", "{}", ((b,) for b in boxes)),
    )
