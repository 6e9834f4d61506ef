"""Server-rendered SVG charts: the same markup on screen and in PDFs.

Each builder returns a `SafeString` of one `<svg>` element with `role="img"`, a `<title>` and a
`<desc>` for screen readers, and nothing executable: no scripts, no event handlers, no `style=""`
attributes (the site's Content Security Policy forbids inline styles). Colours, sizes and fonts
are SVG presentation attributes (`fill=`, `font-size=`), so WeasyPrint and browsers draw the
chart alike without any stylesheet; `class=` hooks are there for pages that want to restyle.

Every piece of text goes through `format_html`, so a label such as `<script>` or `" onload="`
comes out as harmless, escaped text.
"""

import hashlib
import math
from collections.abc import Iterable, Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Tones match the badges of norma.css (--ok, --warn, --bad, --brand, --muted).
TONES = {
    "ok": "#1c7c4a",
    "warn": "#a86400",
    "bad": "#b3261e",
    "brand": "#1f5fbf",
    "neutral": "#8a94a3",
}
TRACK = "#eef1f5"
INK = "#1d2430"
MUTED = "#5b6675"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
LABEL_CHARS = 32


def _number(value) -> float:
    """A finite, non-negative number; anything else counts as zero."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) and number > 0 else 0.0


def _fmt(number: float) -> str:
    """12.0 -> '12', 12.345 -> '12.3': short coordinates and values."""
    text = f"{number:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _short(label) -> str:
    text = " ".join(str(label).split())
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _tone(name) -> str:
    return TONES.get(str(name), TONES["brand"])


def _join(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _chart_id(kind: str, *data) -> str:
    """A stable id, so the same chart has the same markup on screen and in the PDF."""
    digest = hashlib.sha256(repr((kind, data)).encode()).hexdigest()[:10]
    return f"chart-{kind}-{digest}"


def _svg(kind: str, width: float, height: float, title, desc, body: SafeString, key) -> SafeString:
    """The outer element: scalable, labelled by its title and description."""
    chart_id = _chart_id(kind, key)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" preserveAspectRatio="xMinYMin meet" '
        'aria-labelledby="{id}-title {id}-desc" font-family="{font}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        kind=kind,
        w=_fmt(width),
        h=_fmt(height),
        id=chart_id,
        font=FONT,
        title=str(title),
        desc=str(desc),
        body=body,
    )


def _text(x, y, text, *, anchor="start", size=12, fill=INK, cls="chart-text") -> SafeString:
    return format_html(
        '<text class="{}" x="{}" y="{}" text-anchor="{}" font-size="{}" fill="{}">{}</text>',
        cls,
        _fmt(x),
        _fmt(y),
        anchor,
        size,
        fill,
        text,
    )


def _rect(x, y, width, height, fill, cls) -> SafeString:
    return format_html(
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}"/>',
        cls,
        _fmt(x),
        _fmt(y),
        _fmt(width),
        _fmt(height),
        fill,
    )


def _rows(items: Sequence) -> list[tuple[str, float, str]]:
    """(label, value[, tone]) tuples -> (label, number, colour)."""
    rows = []
    for item in items:
        label, value, tone = (*item, "brand")[:3]
        rows.append((str(label), _number(value), _tone(tone)))
    return rows


def bar_chart(items: Sequence, *, title, desc="", unit="", width=520, max_value=None) -> SafeString:
    """Horizontal bars, one per (label, value) or (label, value, tone), with their values."""
    rows = _rows(items)
    label_w, value_w, row_h, bar_h = 190, 60, 26, 16
    track_w = width - label_w - value_w
    top = max([_number(max_value)] + [value for _, value, _ in rows]) or 1.0
    height = max(len(rows), 1) * row_h + 4
    parts = []
    for i, (label, value, colour) in enumerate(rows):
        y = 2 + i * row_h
        bar_w = track_w * value / top
        parts += [
            _text(label_w - 8, y + 13, _short(label), anchor="end", cls="chart-label"),
            _rect(label_w, y + 2, track_w, bar_h, TRACK, "chart-track"),
            _rect(label_w, y + 2, bar_w, bar_h, colour, "chart-bar"),
            _text(label_w + track_w + 6, y + 14, f"{_fmt(value)}{unit}", cls="chart-value"),
        ]
    desc = desc or "; ".join(f"{label}: {_fmt(value)}{unit}" for label, value, _ in rows)
    return _svg("bar", width, height, title, desc, _join(parts), (title, rows, unit, top))


def status_chart(items: Sequence, *, title, desc="", width=520) -> SafeString:
    """One stacked bar of (label, count, tone) segments, with a legend that gives the counts."""
    rows = _rows(items)
    total = sum(value for _, value, _ in rows)
    bar_h, legend_row = 22, 20
    per_line = 3
    lines = math.ceil(len(rows) / per_line) or 1
    height = bar_h + 10 + lines * legend_row
    parts = [_rect(0, 0, width, bar_h, TRACK, "chart-track")]
    x = 0.0
    for _label, value, colour in rows:
        segment = width * value / total if total else 0
        if segment:
            parts.append(_rect(x, 0, segment, bar_h, colour, "chart-segment"))
        x += segment
    column = width / per_line
    for i, (label, value, colour) in enumerate(rows):
        lx, ly = (i % per_line) * column, bar_h + 10 + (i // per_line) * legend_row
        parts += [
            _rect(lx, ly, 12, 12, colour, "chart-key"),
            _text(lx + 18, ly + 11, f"{_short(label)}: {_fmt(value)}", cls="chart-legend"),
        ]
    desc = desc or "; ".join(f"{label}: {_fmt(value)}" for label, value, _ in rows)
    return _svg("status", width, height, title, desc, _join(parts), (title, rows))


def progress_bar(value, total=100, *, title, label="", tone="ok", width=520) -> SafeString:
    """A share of a whole, e.g. 72 of 100, drawn as a filled track with the percentage."""
    whole = _number(total)
    share = min(_number(value) / whole, 1.0) if whole else 0.0
    percent = f"{round(share * 100)}%"
    text = f"{label} {percent}".strip()
    track_w, height = width - 60, 18
    parts = [
        _rect(0, 1, track_w, 16, TRACK, "chart-track"),
        _rect(0, 1, track_w * share, 16, _tone(tone), "chart-bar"),
        _text(track_w + 8, 14, percent, size=13, cls="chart-value"),
    ]
    return _svg("progress", width, height, title, text, _join(parts), (title, text, tone))


def heat_map(
    cells: Sequence[Sequence[tuple]],
    *,
    title,
    row_labels: Sequence,
    column_labels: Sequence,
    row_title="",
    column_title="",
    desc="",
) -> SafeString:
    """A grid of counts, rows from the top, each cell (count, fill, link, label): coloured by
    its band, a link to what it counts, and named for screen readers by its label."""
    label_w, cell, axis_h = 130, 64, 44
    width = label_w + cell * len(column_labels) + 4
    height = cell * len(row_labels) + axis_h
    parts = []
    for r, (row_label, row) in enumerate(zip(row_labels, cells, strict=True)):
        y = r * cell
        parts.append(_text(label_w - 8, y + cell / 2 + 4, _short(row_label), anchor="end"))
        for c, (count, fill, link, label) in enumerate(row):
            x = label_w + c * cell
            shown = _fmt(_number(count)) if count else ""
            parts.append(
                format_html(
                    '<a href="{}" aria-label="{}">{}{}</a>',
                    link,
                    f"{label}: {_fmt(_number(count))}",
                    _rect(x + 1, y + 1, cell - 2, cell - 2, fill, "chart-cell"),
                    _text(x + cell / 2, y + cell / 2 + 6, shown, anchor="middle", size=18),
                )
            )
    bottom = cell * len(row_labels)
    for c, column_label in enumerate(column_labels):
        x = label_w + c * cell + cell / 2
        parts.append(_text(x, bottom + 16, _short(column_label)[:14], anchor="middle", size=10))
    parts.append(
        _text(
            label_w + cell * len(column_labels) / 2,
            bottom + 36,
            column_title,
            anchor="middle",
            fill=MUTED,
        )
    )
    parts.append(_text(4, bottom + 36, row_title, fill=MUTED, size=11))
    desc = desc or title
    key = (title, [[cell[:2] for cell in row] for row in cells])
    return _svg("heat", width, height, title, desc, _join(parts), key)


def line_chart(
    points: Sequence[tuple],
    *,
    title,
    unit="",
    lines: Sequence[tuple] = (),
    desc="",
    width=640,
    height=220,
) -> SafeString:
    """Values over time: (moment, value) points joined by a line, with horizontal reference
    lines (label, value, tone) such as a target, and the first and last dates below."""
    pad_l, pad_r, pad_t, pad_b = 56, 12, 10, 28
    values = [float(v) for _, v in points] + [float(v) for _, v, _ in lines]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:
        low, high = low - 1, high + 1
    span = high - low
    low, high = low - span * 0.08, high + span * 0.08
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    times = [moment.timestamp() for moment, _ in points]
    first, last = (min(times), max(times)) if times else (0.0, 1.0)

    def x(t: float) -> float:
        return pad_l + (plot_w * (t - first) / (last - first) if last > first else plot_w / 2)

    def y(v: float) -> float:
        return pad_t + plot_h * (1 - (v - low) / (high - low))

    parts = [_rect(pad_l, pad_t, plot_w, plot_h, "#fbfcfe", "chart-plot")]
    for label, value, tone in lines:
        level = y(float(value))
        parts += [
            format_html(
                '<line class="chart-reference" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
                'stroke-width="1.5" stroke-dasharray="6 4"/>',
                _fmt(pad_l),
                _fmt(level),
                _fmt(pad_l + plot_w),
                _fmt(level),
                _tone(tone),
            ),
            _text(
                pad_l - 4,
                level + 4,
                f"{_fmt(float(value))}",
                anchor="end",
                size=10,
                fill=_tone(tone),
            ),
            _text(pad_l + plot_w - 2, level - 4, label, anchor="end", size=10, fill=_tone(tone)),
        ]
    if points:
        path = " ".join(
            f"{_fmt(x(t))},{_fmt(y(float(v)))}" for t, (_, v) in zip(times, points, strict=True)
        )
        parts.append(
            format_html(
                '<polyline class="chart-line" points="{}" fill="none" stroke="{}" '
                'stroke-width="2"/>',
                path,
                TONES["brand"],
            )
        )
        if len(points) <= 60:  # dots while they can still be told apart
            parts += [
                format_html(
                    '<circle class="chart-point" cx="{}" cy="{}" r="2.5" fill="{}"/>',
                    _fmt(x(t)),
                    _fmt(y(float(v))),
                    TONES["brand"],
                )
                for t, (_, v) in zip(times, points, strict=True)
            ]
        start, end = points[0][0], points[-1][0]
        parts += [
            _text(pad_l, height - 8, f"{start:%Y-%m-%d}", size=10, fill=MUTED),
            _text(pad_l + plot_w, height - 8, f"{end:%Y-%m-%d}", anchor="end", size=10, fill=MUTED),
        ]
    parts += [
        _text(pad_l - 4, pad_t + 10, _fmt(high), anchor="end", size=10, fill=MUTED),
        _text(pad_l - 4, pad_t + plot_h, _fmt(low), anchor="end", size=10, fill=MUTED),
    ]
    if not desc and points:
        latest = points[-1]
        desc = (
            f"{len(points)} values from {points[0][0]:%Y-%m-%d} to {latest[0]:%Y-%m-%d}; "
            f"latest {_fmt(float(latest[1]))}{unit}"
            + "".join(f"; {label} {_fmt(float(value))}{unit}" for label, value, _ in lines)
        )
    key = (
        title,
        unit,
        [(t, float(v)) for t, (_, v) in zip(times, points, strict=True)],
        list(lines),
    )
    return _svg("line", width, height, title, desc or "No values yet.", _join(parts), key)


def fishbone(bones: Sequence[tuple], *, effect, title, desc="", width=820) -> SafeString:
    """An Ishikawa diagram: the effect at the head, one bone per (category, causes), three
    above the spine and three below; each cause (text, verified, root) is written along its
    bone, a root cause in red and bold, an unverified one marked with a question mark."""
    per_bone, line_h = 5, 16
    above = math.ceil(len(bones) / 2)
    slot = (width - 230) / max(above, 1)
    bone_h = 40 + per_bone * line_h
    mid = bone_h + 30
    height = mid * 2
    spine_end = width - 190
    parts = [
        format_html(
            '<line class="chart-spine" x1="20" y1="{}" x2="{}" y2="{}" stroke="{}" '
            'stroke-width="3"/>',
            _fmt(mid),
            _fmt(spine_end),
            _fmt(mid),
            INK,
        ),
        _rect(spine_end, mid - 34, 180, 68, TONES["bad"], "chart-effect"),
        _text(spine_end + 90, mid - 4, _short(effect), anchor="middle", fill="#fff", size=11),
        _text(spine_end + 90, mid + 14, "effect", anchor="middle", fill="#fff", size=10),
    ]
    described = []
    for i, (category, causes) in enumerate(bones):
        top = i < above
        x = 70 + slot * (i % above)
        end_y = 30 if top else height - 30
        parts += [
            format_html(
                '<line class="chart-bone" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
                'stroke-width="2"/>',
                _fmt(x),
                _fmt(mid),
                _fmt(x - 50),
                _fmt(end_y),
                MUTED,
            ),
            _text(x - 56, end_y + (-10 if top else 20), category, size=13),
        ]
        for n, (text, verified, root) in enumerate(causes[:per_bone]):
            y = (end_y + 22 + n * line_h) if top else (end_y - 14 - n * line_h)
            along = (y - end_y) / (mid - end_y)  # 0 at the bone's far end, 1 at the spine
            mark = "" if verified else "? "
            parts.append(
                _text(
                    x - 50 + 50 * along + 6,
                    y,
                    f"{mark}{_short(text)[:30]}",
                    size=10,
                    fill=TONES["bad"] if root else INK,
                    cls="chart-root" if root else "chart-cause",
                )
            )
        if len(causes) > per_bone:
            y = end_y + 22 + per_bone * line_h if top else end_y - 14 - per_bone * line_h
            parts.append(_text(x - 20, y, f"+{len(causes) - per_bone} more", size=10, fill=MUTED))
        named = ", ".join(
            f"{text}{' (root cause)' if root else ''}{'' if verified else ' (not verified)'}"
            for text, verified, root in causes
        )
        described.append(f"{category}: {named or 'no cause'}")
    desc = desc or f"Effect: {effect}. " + "; ".join(described)
    return _svg("fishbone", width, height, title, desc, _join(parts), (title, effect, bones))


def column_chart(items: Sequence, *, title, desc="", unit="", width=640, height=200) -> SafeString:
    """Vertical bars over time, one per (label, value) or (label, value, tone), such as counts
    per month, with each value above its bar and the labels below."""
    rows = _rows(items)
    pad_b, pad_t = 34, 18
    plot_h = height - pad_b - pad_t
    column = width / max(len(rows), 1)
    top = max([value for _, value, _ in rows] + [0]) or 1.0
    parts = []
    for i, (label, value, colour) in enumerate(rows):
        x = i * column
        bar_h = plot_h * value / top
        parts += [
            _rect(
                x + column * 0.15, pad_t + plot_h - bar_h, column * 0.7, bar_h, colour, "chart-bar"
            ),
            _text(
                x + column / 2, pad_t + plot_h - bar_h - 4, _fmt(value), anchor="middle", size=10
            ),
            _text(x + column / 2, height - pad_b + 16, _short(label)[:8], anchor="middle", size=10),
        ]
    desc = desc or "; ".join(f"{label}: {_fmt(value)}{unit}" for label, value, _ in rows)
    return _svg("columns", width, height, title, desc, _join(parts), (title, rows, unit))


def timeline(
    milestones: Sequence[tuple], *, today, title, desc="", width=820, height=150
) -> SafeString:
    """Dated milestones on one line, a tick per year and a mark for today.

    `milestones` are (label, date, tone); labels alternate above and below the line so
    neighbours do not overlap."""
    dated = sorted((m for m in milestones if m[1] is not None), key=lambda m: m[1])
    if not dated:
        return _svg("timeline", width, 40, title, desc or "No dates yet.", _join([]), (title,))
    first = min(dated[0][1], today).replace(month=1, day=1)
    last = max(dated[-1][1], today)
    last = last.replace(year=last.year + 1, month=1, day=1)
    left, right, axis = 16, width - 16, height / 2
    span = (last - first).days

    def x(day) -> float:
        return left + (right - left) * (day - first).days / span

    parts = [
        format_html(
            '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
            'stroke-width="2"/>',
            _fmt(left),
            _fmt(axis),
            _fmt(right),
            _fmt(axis),
            MUTED,
        )
    ]
    for year in range(first.year, last.year + 1):
        tick = x(first.replace(year=year))
        parts.append(_text(tick, axis + 4 + 12, str(year), anchor="middle", size=10, fill=MUTED))
    now = x(today)
    parts.append(
        format_html(
            '<line class="chart-today" x1="{x}" y1="8" x2="{x}" y2="{y}" stroke="{c}" '
            'stroke-dasharray="3 3"/>',
            x=_fmt(now),
            y=_fmt(height - 8),
            c=INK,
        )
    )
    parts.append(_text(now + 3, 16, "today", size=10, fill=INK))
    for index, (label, day, tone) in enumerate(dated):
        at = x(day)
        above = index % 2 == 0
        parts.append(
            format_html(
                '<circle class="chart-mark" cx="{}" cy="{}" r="5" fill="{}"/>',
                _fmt(at),
                _fmt(axis),
                _tone(tone),
            )
        )
        row = (index // 2) % 2 * 14
        y = axis - 12 - row if above else axis + 30 + row
        anchor = "start" if at < width / 2 else "end"
        parts.append(_text(at, y, f"{_short(label)} {day:%Y-%m-%d}", anchor=anchor, size=10))
    key = (title, tuple((str(m[0]), m[1].isoformat(), m[2]) for m in dated), today.isoformat())
    return _svg("timeline", width, height, title, desc, _join(parts), key)
