"""The assumers SVG: layered, accessible, self-contained, escaped and bounded."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from iamd.console.assumers import TRUST, AssumeGraph, Edge, Node, who_can_assume
from iamd.console.assumers_svg import MAX_EDGES, MAX_NODES, MAX_PER_COLUMN, render

from .assumers_support import ACCOUNT, ROOT, allow, arn, details, role, trusts, user

SVG = "{http://www.w3.org/2000/svg}"
TARGET = arn("role", "target")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def node_boxes(root: ET.Element) -> dict[str, float]:
    """Each drawn node's label text -> the x of its box."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("aria-hidden") == "true":
            continue  # the legend
        rects = group.findall(f"{SVG}rect")
        label = group.find(f"{SVG}text")
        if rects and label is not None and label.text:
            found[label.text] = float(rects[0].attrib["x"])
    return found


def chain_graph() -> AssumeGraph:
    account = details(
        users=(user("alice", allow()), user("bob")),
        roles=(
            role("hop", trusts(ROOT), allow()),
            role(
                "target",
                [
                    trusts(arn("role", "hop")),
                    trusts(
                        arn("user", "bob"),
                        Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    ),
                ],
            ),
        ),
    )
    return who_can_assume(account, ACCOUNT, TARGET)


def test_the_target_stands_right_and_chains_further_left() -> None:
    graph = chain_graph()
    x = node_boxes(parse(render(graph)))
    assert x["target"] > x["hop"] == x["bob"] > x["alice"]


def test_conditional_edges_are_dashed_and_every_edge_has_an_arrow() -> None:
    graph = chain_graph()
    root = parse(render(graph))
    paths = [p for p in root.iter(f"{SVG}path") if "marker-end" in p.attrib]
    assert len(paths) == len(graph.edges) == 3
    dashed = [p for p in paths if "stroke-dasharray" in p.attrib]
    assert len(dashed) == sum(1 for e in graph.edges if e.conditional) == 1
    assert all(p.attrib["marker-end"].startswith("url(#assumers-") for p in paths)


def test_accessible_markup() -> None:
    root = parse(render(chain_graph()))
    assert root.attrib["role"] == "img"
    ids = root.attrib["aria-labelledby"].split()
    by_id = {e.attrib["id"]: e for e in root.iter() if "id" in e.attrib}
    title, desc = (by_id[i] for i in ids)
    assert title.tag == f"{SVG}title" and title.text == "Who can assume target"
    assert desc.tag == f"{SVG}desc"
    assert desc.text == (
        "3 principals can assume target or reach it through role chains; "
        "3 trust relationships, 1 of them conditional (dashed)."
    )
    # every node and every arrow carries its own title for assistive technology
    groups = [g for g in root.iter(f"{SVG}g") if g.get("aria-hidden") != "true"]
    assert len(groups) == 4 + 3
    assert all(g.find(f"{SVG}title") is not None for g in groups)


HOSTILE = '<script>alert("x")</script>&amp;" onload="alert(1)\x00\x1f'


def test_every_label_is_escaped_and_nothing_external_is_referenced() -> None:
    nodes = (
        Node(TARGET, "role", HOSTILE, TARGET, 0, HOSTILE),
        Node("service:" + HOSTILE, "service", HOSTILE, None, 1, HOSTILE),
        Node("federated:x", "federated", "<a href='https://evil.example/'>x</a>", None, 1),
    )
    edges = (
        Edge(nodes[1].id, TARGET, TRUST, (HOSTILE,), False, HOSTILE),
        Edge(nodes[2].id, TARGET, TRUST, (), False, "<image href='https://evil.example/'/>"),
    )
    svg = render(AssumeGraph(TARGET, nodes, edges))
    root = parse(svg)  # well-formed XML, control characters and all
    tags = {e.tag.removeprefix(SVG) for e in root.iter()}
    assert tags <= {"svg", "title", "desc", "defs", "marker", "path", "g", "rect", "text", "line"}
    attributes = {name for e in root.iter() for name in e.attrib}
    assert not {a for a in attributes if "href" in a or a.startswith("on")}
    assert "<script" not in svg
    values = [v for e in root.iter() for v in e.attrib.values()]
    assert not [v for v in values if "//" in v and v != "http://www.w3.org/2000/svg"]
    assert (
        re.findall(r"url\(([^)]*)\)", svg)
        == [f"#{root.find(f'{SVG}defs/{SVG}marker').attrib['id']}"] * 2
    )  # type: ignore[union-attr]
    # the hostile text survives as text, shortened in the box and whole in the titles
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert any(t and t.startswith('<script>alert("x")</script>&amp;" onload=') for t in titles)


def test_the_picture_is_bounded_whatever_the_account_holds() -> None:
    users = tuple(user(f"user{i:04}", allow()) for i in range(300))
    roles = tuple(role(f"role{i:03}", trusts(ROOT), allow()) for i in range(100))
    account = details(users=users, roles=(*roles, role("target", trusts(ROOT))))
    graph = who_can_assume(account, ACCOUNT, TARGET)
    assert len(graph.nodes) == 401 and len(graph.edges) == 400
    svg = render(graph)
    root = parse(svg)
    boxes = node_boxes(root)
    assert len(boxes) <= MAX_NODES
    assert len(set(boxes.values())) == 2  # two columns: the target and its assumers
    assert sum(1 for p in root.iter(f"{SVG}path") if "marker-end" in p.attrib) <= MAX_EDGES
    more = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("and ")]
    assert more == [f"and {400 - MAX_PER_COLUMN} more ({100 - MAX_PER_COLUMN} roles, 300 users)"]
    # the rarer kind comes first: every role is drawn before any user
    assert sum(1 for label in boxes if label.startswith("role")) == MAX_PER_COLUMN
    assert len(svg) < 100_000
