"""The ER diagram drawn as a self-contained SVG: a box per table (its columns, types and PK/FK/UK marks) on a
grid, related tables side by side, and a line per foreign key with crow's-foot ends. Deterministic: the same
models give the same bytes. No JavaScript, fonts or files from anywhere."""

from __future__ import annotations

from html import escape

from toolkit.diagram import Box, Field, Link

PER_ROW = 3  # fits a notebook's output width (about 1,000 px)
CHAR = 7.5  # px per character of a 12px monospace font (a little over, so no font overflows a box)
ROW, HEAD, PAD, GAP = 20, 28, 10, 70
INK, LINE, KEY, MUTED, STRIPE = "#2b4a75", "#5b7db1", "#a86b00", "#7a8290", "#f3f6fa"
FONT = 'font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12"'


def order(boxes: list[Box], links: list[Link]) -> list[Box]:
    """Related tables first, each after the tables it refers to; tables with no relation after them."""
    depth: dict[str, int] = {b.name: 0 for b in boxes}
    for _ in boxes:  # foreign-key depth, at most len(boxes) rounds (a cycle stops growing there)
        for link in links:
            if link.parent != link.child:
                depth[link.child] = max(depth[link.child], min(depth[link.parent] + 1, len(boxes)))
    related = {n for link in links for n in (link.parent, link.child)}
    return sorted(boxes, key=lambda b: (b.name not in related, depth[b.name], b.name))


def _widths(box: Box) -> tuple[float, float, float]:
    keys = max((len(",".join(f.keys)) for f in box.fields), default=0) * CHAR
    names = max([len(f.name) for f in box.fields] + [len(box.name) + 2]) * CHAR
    types = max((len(_type(f)) for f in box.fields), default=0) * CHAR
    return keys, names, types


def _type(field: Field) -> str:
    return (field.detail or field.type) + (" null" if field.nullable else "")


def _box(box: Box, x: float, y: float) -> tuple[list[str], float]:
    keys, names, types = _widths(box)
    width = PAD + keys + (PAD if keys else 0) + names + PAD + types + PAD
    height = HEAD + ROW * len(box.fields) + 4
    out = [
        f'<g class="table" data-table="{escape(box.name)}">',
        f'<rect x="{x}" y="{y}" width="{width:.0f}" height="{height}" rx="4" fill="#fff" stroke="{INK}"/>',
        f'<path d="M{x} {y + 4}a4 4 0 0 1 4 -4h{width - 8:.0f}a4 4 0 0 1 4 4v{HEAD - 4}h{-width:.0f}z" '
        f'fill="{INK}"/>',
        f'<text x="{x + PAD}" y="{y + 19}" fill="#fff" font-weight="bold" {FONT}>{escape(box.name)}</text>',
    ]
    for i, field in enumerate(box.fields):
        top = y + HEAD + i * ROW
        if i % 2:
            out.append(
                f'<rect x="{x + 1}" y="{top}" width="{width - 2:.0f}" height="{ROW}" fill="{STRIPE}"/>'
            )
        base = top + 14
        left = x + PAD
        if field.keys:
            out.append(f'<text x="{left}" y="{base}" fill="{KEY}" font-weight="bold" {FONT}>'
                       f'{",".join(field.keys)}</text>')  # fmt: skip
        left += keys + (PAD if keys else 0)
        out.append(f'<text x="{left:.0f}" y="{base}" fill="#1d2430" {FONT}>{escape(field.name)}</text>')
        left += names + PAD
        out.append(f'<text x="{left:.0f}" y="{base}" fill="{MUTED}" {FONT}>{escape(_type(field))}</text>')
    out.append("</g>")
    return out, width


def _end(x: float, y: float, side: int, many: bool | None) -> str:
    """The marks where a line meets a box at (x, y); `side` is +1 when the line leaves to the right. None:
    exactly one (two bars); True: zero or more (ring and crow's foot); False: zero or one (ring and bar)."""
    s = side
    if many is None:
        d = f"M{x + 8 * s} {y - 6}v12M{x + 12 * s} {y - 6}v12"
        return f'<path d="{d}" stroke="{LINE}" stroke-width="1.5" fill="none"/>'
    foot = f"M{x} {y - 6}L{x + 12 * s} {y}L{x} {y + 6}" if many else f"M{x + 8 * s} {y - 6}v12"
    ring = f'<circle cx="{x + 17 * s}" cy="{y}" r="4" fill="#fff" stroke="{LINE}" stroke-width="1.5"/>'
    return f'<path d="{foot}" stroke="{LINE}" stroke-width="1.5" fill="none"/>{ring}'


def svg(boxes: list[Box], links: list[Link]) -> str:
    """The diagram of `boxes` and `links` (see `toolkit.diagram.graph`) as an SVG document."""
    placed: dict[str, tuple[float, float, float, Box]] = {}
    body: list[str] = []
    x, y, row_height, count = float(GAP / 2), float(GAP / 2), 0.0, 0
    for box in order(boxes, links):
        if count == PER_ROW:
            x, y, row_height, count = GAP / 2, y + row_height + GAP, 0.0, 0
        drawn, width = _box(box, x, y)
        body += drawn
        placed[box.name] = (x, y, width, box)
        x, row_height, count = x + width + GAP, max(row_height, HEAD + ROW * len(box.fields) + 4), count + 1
    lines = [_line(placed, link) for link in links if link.parent in placed and link.child in placed]
    width = max((px + w for px, _, w, _ in placed.values()), default=0) + GAP / 2
    height = y + row_height + GAP / 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="ER diagram of the models">'
        f"<title>ER diagram: {escape(', '.join(sorted(placed)))}</title>" + "".join(lines + body) + "</svg>"
    )


def _line(placed: dict[str, tuple[float, float, float, Box]], link: Link) -> str:
    def row_y(name: str, column: str) -> float:
        _, by, _, box = placed[name]
        index = next((i for i, f in enumerate(box.fields) if f.name == column), 0)
        return by + HEAD + index * ROW + ROW / 2

    px, _, pw, _ = placed[link.parent]
    cx, _, cw, _ = placed[link.child]
    y1, y2 = row_y(link.parent, link.referred), row_y(link.child, link.column)
    if px + pw < cx:  # parent left of child
        x1, x2, s1, s2 = px + pw, cx, 1, -1
    elif cx + cw < px:  # parent right of child
        x1, x2, s1, s2 = px, cx + cw, -1, 1
    else:  # one above the other: around their left sides
        x1, x2, s1, s2 = px, cx, -1, -1
    mid = (x1 + x2) / 2 if s1 != s2 else min(x1, x2) - GAP / 3
    path = f"M{x1:.0f} {y1:.0f}H{mid:.0f}V{y2:.0f}H{x2:.0f}"
    return (
        f'<g class="relation" data-from="{escape(link.parent)}" data-to="{escape(link.child)}">'
        f'<path d="{path}" stroke="{LINE}" stroke-width="1.5" fill="none"/>'
        f"<title>{escape(f'{link.child}.{link.column} → {link.parent}.{link.referred}')}</title>"
        f"{_end(x1, y1, s1, None)}{_end(x2, y2, s2, link.many)}</g>"
    )
