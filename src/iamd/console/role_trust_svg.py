"""The trust relationship as a picture: each principal the trust policy allows, an arrow
to the role, the action and conditions written under the principal.

An inline SVG the role page embeds: every text is escaped, nothing refers outside the
page (the console's CSP allows no inline styles, so colours are classes in
``console.css``), ``role="img"`` with a ``<title>`` that says the same in words. At most
``MAX_DRAWN`` principals are drawn; the rest are counted ("and 3 more"), so the picture
stays small whatever the policy holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from iamd.console.role_trust import Trusted

MAX_DRAWN = 12
MAX_TEXT = 58  # characters on one line of a box
WIDTH = 800
BOX_X, BOX_W = 10, 420
ROLE_X, ROLE_W = 560, 230
LINE = 16
PAD = 10
GAP = 14


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _lines(trusted: Trusted) -> list[str]:
    lines = [trusted.label, "may " + (", ".join(trusted.actions) or "(no action)")]
    lines += ["if " + c for c in trusted.conditions[:4]]
    if len(trusted.conditions) > 4:
        lines.append(f"and {len(trusted.conditions) - 4} more conditions")
    return [_clip(line) for line in lines]


def _text(x: int, y: int, line: str, css: str) -> str:
    return f'<text x="{x}" y="{y}" class="{css}">{escape(line)}</text>'


def render(trusted: Sequence[Trusted], role_name: str, role_arn: str) -> str:
    """The SVG markup (a string to embed as is: everything in it is escaped)."""
    drawn = list(trusted[:MAX_DRAWN])
    boxes: list[str] = []
    y = PAD
    centres: list[int] = []
    for index, who in enumerate(drawn):
        lines = _lines(who)
        height = PAD * 2 + LINE * len(lines)
        css = f"trust-node trust-{who.kind}" + (" trust-except" if who.excepted else "")
        parts = [
            f'<g class="{css}" id="trust-principal-{index}">',
            f"<title>{escape(who.value)}</title>",
            f'<rect x="{BOX_X}" y="{y}" width="{BOX_W}" height="{height}" rx="6"/>',
        ]
        for row, line in enumerate(lines):
            style = "trust-label" if row == 0 else "trust-detail"
            parts.append(_text(BOX_X + PAD, y + PAD + LINE * (row + 1) - 4, line, style))
        parts.append("</g>")
        boxes.append("".join(parts))
        centres.append(y + height // 2)
        y += height + GAP
    more = len(trusted) - len(drawn)
    if more:
        boxes.append(
            _text(BOX_X, y + LINE, f"and {more} more principals (see the JSON)", "trust-detail")
        )
        y += LINE + GAP
    height = max(y, 2 * PAD + 3 * LINE)
    role_y = height // 2 - (PAD + LINE)
    arrows = [
        f'<line x1="{BOX_X + BOX_W}" y1="{c}" x2="{ROLE_X - 4}" y2="{height // 2}" '
        'class="trust-edge" marker-end="url(#trust-arrow)"/>'
        for c in centres
    ]
    role = (
        '<g class="trust-node trust-target">'
        f"<title>{escape(role_arn)}</title>"
        f'<rect x="{ROLE_X}" y="{role_y}" width="{ROLE_W}" height="{2 * (PAD + LINE)}" rx="6"/>'
        + _text(ROLE_X + PAD, role_y + PAD + LINE - 4, "Role", "trust-detail")
        + _text(ROLE_X + PAD, role_y + PAD + 2 * LINE - 4, _clip(role_name)[:28], "trust-label")
        + "</g>"
    )
    words = "; ".join(t.label for t in trusted) or "no one"
    title = escape(f"Who may assume the role {role_name}: {words}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="trust-title" '
        f'class="trust-graph" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">'
        f'<title id="trust-title">{title}</title>'
        '<defs><marker id="trust-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" class="trust-arrowhead"/></marker></defs>'
        + "".join(arrows)
        + "".join(boxes)
        + role
        + "</svg>"
    )
