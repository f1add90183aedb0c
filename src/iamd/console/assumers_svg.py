"""The assumers graph as an inline SVG, laid out on the server.

Layered: the target role in the rightmost column, its direct assumers one column to the
left, principals reaching it through a chain further left, one column per hop. Arrows
point from who assumes to what is assumed; an edge that depends on condition keys is
dashed; node colours say the kind, and a legend says so in words too.

The picture is bounded whatever the account holds: at most ``MAX_PER_COLUMN`` nodes in
a column and ``MAX_NODES`` in all, the rarer kinds (anyone, accounts, providers,
services, roles) before users, and a column says "and N more (...)" for the rest (the
console's list view has them all); at most ``MAX_EDGES`` arrows. It is accessible
markup (``role="img"`` labelled by its ``<title>`` and ``<desc>``, a ``<title>`` on each
node and arrow) and self-contained: no script, no style sheet, no link, no external
reference; every text from the details is escaped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from html import escape

from iamd.console.assumers import AssumeGraph, Edge, Node

MAX_PER_COLUMN = 14
MAX_NODES = 60
MAX_EDGES = 200
LABEL_CHARS = 24

COLUMN_WIDTH = 230
BOX_WIDTH = 180
BOX_HEIGHT = 34
ROW_HEIGHT = 46
MARGIN = 16
LOOP_ROOM = 28  # left of the first column, for arrows between nodes of one column
LEGEND_HEIGHT = 48
LEGEND_STEP = 90

COLOURS = {
    "user": "#1f6feb",
    "role": "#8250df",
    "account": "#bf8700",
    "service": "#1a7f37",
    "federated": "#cf222e",
    "anyone": "#57606a",
}
_PRIORITY = {kind: i for i, kind in enumerate(("anyone", "account", "federated", "service"))}
_PRIORITY.update(role=4, user=5)
_PLURAL = {
    "anyone": "anyone",
    "account": "accounts",
    "federated": "identity providers",
    "service": "services",
    "role": "roles",
    "user": "users",
}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text(value: str) -> str:
    """``value`` as XML character data or attribute text: escaped, and stripped of the
    characters XML cannot carry at all."""
    return escape(_NOT_XML.sub("\ufffd", value), quote=True)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "\u2026"


class _Layout:
    """Which nodes are drawn, where, and how many each column leaves out."""

    def __init__(self, graph: AssumeGraph) -> None:
        self.columns: dict[int, list[Node]] = {}
        self.hidden: dict[int, dict[str, int]] = {}
        drawn = 0
        # The rarer kinds first, so that a full column still shows every kind it has.
        for node in sorted(graph.nodes, key=lambda n: (n.depth, _PRIORITY.get(n.kind, 0))):
            column = self.columns.setdefault(node.depth, [])
            if len(column) >= MAX_PER_COLUMN or drawn >= MAX_NODES:
                kinds = self.hidden.setdefault(node.depth, {})
                kinds[node.kind] = kinds.get(node.kind, 0) + 1
                continue
            column.append(node)
            drawn += 1
        self.depth = max(self.columns, default=0)
        rows = max(
            (len(nodes) + (1 if self.hidden.get(d) else 0) for d, nodes in self.columns.items()),
            default=1,
        )
        columns = LOOP_ROOM + (self.depth + 1) * COLUMN_WIDTH
        self.width = 2 * MARGIN + max(columns, len(COLOURS) * LEGEND_STEP)
        self.height = 2 * MARGIN + LEGEND_HEIGHT + rows * ROW_HEIGHT
        self.place: dict[str, tuple[int, int]] = {}
        for depth, nodes in self.columns.items():
            for row, node in enumerate(nodes):
                self.place[node.id] = (self.x(depth), self.y(row))

    def x(self, depth: int) -> int:
        return MARGIN + LOOP_ROOM + (self.depth - depth) * COLUMN_WIDTH

    @staticmethod
    def y(row: int) -> int:
        return MARGIN + LEGEND_HEIGHT + row * ROW_HEIGHT


def render(graph: AssumeGraph) -> str:
    """The graph as one ``<svg>`` element, ready to be placed in the role page."""
    layout = _Layout(graph)
    ident = "assumers-" + hashlib.sha256(graph.target.encode()).hexdigest()[:12]
    target = graph.node(graph.target)
    name = target.label if target is not None else graph.target
    assumers = len(graph.nodes) - 1
    described = (
        f"{assumers} principal{'s' if assumers != 1 else ''} can assume {name} or reach it "
        f"through role chains; {len(graph.edges)} trust relationship"
        f"{'s' if len(graph.edges) != 1 else ''}, "
        f"{sum(1 for e in graph.edges if e.conditional)} of them conditional (dashed)."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{layout.width}" '
        f'height="{layout.height}" viewBox="0 0 {layout.width} {layout.height}" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="sans-serif" '
        f'font-size="12">',
        f'<title id="{ident}-title">Who can assume {text(name)}</title>',
        f'<desc id="{ident}-desc">{text(described)}</desc>',
        "<defs>",
        f'<marker id="{ident}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#57606a"/></marker>',
        "</defs>",
        *_legend(),
        *_edges(graph.edges, layout, f"{ident}-arrow"),
        *_nodes(layout),
        "</svg>",
    ]
    return "\n".join(parts)


def _legend() -> Iterable[str]:
    yield '<g aria-hidden="true">'
    x = MARGIN
    for kind, colour in COLOURS.items():
        yield f'<rect x="{x}" y="{MARGIN}" width="12" height="12" rx="2" fill="{colour}"/>'
        yield f'<text x="{x + 16}" y="{MARGIN + 10}">{kind}</text>'
        x += LEGEND_STEP
    y = MARGIN + 26
    yield (
        f'<line x1="{MARGIN}" y1="{y}" x2="{MARGIN + 40}" y2="{y}" stroke="#57606a" '
        'stroke-dasharray="6 4"/>'
    )
    yield f'<text x="{MARGIN + 48}" y="{y + 4}">only under conditions</text>'
    yield "</g>"


def _nodes(layout: _Layout) -> Iterable[str]:
    for depth, nodes in layout.columns.items():
        for node in nodes:
            x, y = layout.place[node.id]
            colour = COLOURS.get(node.kind, "#57606a")
            tooltip = node.label if node.arn is None else f"{node.label} ({node.arn})"
            if node.explanation:
                tooltip += f": {node.explanation}"
            weight = ' font-weight="bold"' if depth == 0 else ""
            yield f"<g><title>{text(tooltip)}</title>"
            yield (
                f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="6" '
                f'fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
            )
            yield (
                f'<rect x="{x}" y="{y}" width="8" height="{BOX_HEIGHT}" rx="3" fill="{colour}"/>'
            )
            yield (
                f'<text x="{x + 14}" y="{y + BOX_HEIGHT // 2 + 4}"{weight}>'
                f"{text(_short(node.label))}</text></g>"
            )
        hidden = layout.hidden.get(depth)
        if hidden:
            y = layout.y(len(nodes)) + BOX_HEIGHT // 2 + 4
            kinds = ", ".join(f"{n} {_PLURAL.get(k, k)}" for k, n in hidden.items())
            more = f"and {sum(hidden.values())} more ({kinds})"
            yield f'<text x="{layout.x(depth) + 14}" y="{y}">{text(more)}</text>'


def _edges(edges: Iterable[Edge], layout: _Layout, marker: str) -> Iterable[str]:
    drawn = 0
    for edge in edges:
        start, end = layout.place.get(edge.source), layout.place.get(edge.target)
        if start is None or end is None:
            continue
        if drawn >= MAX_EDGES:
            break
        drawn += 1
        dash = ' stroke-dasharray="6 4"' if edge.conditional else ""
        tooltip = edge.explanation or f"{edge.source} -> {edge.target}"
        yield (
            f"<g><title>{text(tooltip)}</title>"
            f'<path d="{_route(start, end)}" fill="none" stroke="#57606a" stroke-width="1.5" '
            f'marker-end="url(#{marker})"{dash}/></g>'
        )


def _route(start: tuple[int, int], end: tuple[int, int]) -> str:
    """From the right side of the source's box to the left side of the target's; a loop
    round the left when they stand in one column or the arrow runs backwards."""
    sx, sy = start[0] + BOX_WIDTH, start[1] + BOX_HEIGHT // 2
    ex, ey = end[0], end[1] + BOX_HEIGHT // 2
    if sx < ex:
        middle = (sx + ex) // 2
        return f"M{sx},{sy} C{middle},{sy} {middle},{ey} {ex},{ey}"
    left = min(start[0], end[0]) - LOOP_ROOM
    return f"M{start[0]},{sy} C{left},{sy} {left},{ey} {ex},{ey}"
