"""The benchmark workload (IAM JSON) expressed in Cedar, for cedarpy.

Only what the workload uses is translated: Action lists with ``*`` wildcards (each
wildcard becomes an action group that the concrete actions of the request mix belong
to), Resource ARN globs (``like`` on a ``arn`` attribute), StringEquals conditions on the
context, and Allow/Deny as permit/forbid.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(workload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{p['name']}/{i}", st)
        for p in workload["policies"]
        for i, st in enumerate(_as_list(p["document"]["Statement"]))
    ]


def _action_patterns(workload: dict[str, Any]) -> list[str]:
    return sorted(
        {a for _, st in _statements(workload) for a in _as_list(st["Action"]) if "*" in a}
    )


def to_cedar(workload: dict[str, Any]) -> str:
    role = json.dumps(workload["role"]["arn"])
    out = []
    for sid, st in _statements(workload):
        actions = _as_list(st["Action"])
        scope = (
            "action"
            if "*" in actions
            else ("action in [" + ", ".join(f"Action::{json.dumps(a)}" for a in actions) + "]")
        )
        when = []
        resources = _as_list(st.get("Resource", "*"))
        if "*" not in resources:
            when.append(
                "(" + " || ".join(f"resource.arn like {json.dumps(r)}" for r in resources) + ")"
            )
        for op, block in st.get("Condition", {}).items():
            if op != "StringEquals":
                raise ValueError(f"operator {op} is not translated")
            for key, values in block.items():
                k = json.dumps(key)
                alts = " || ".join(f"context[{k}] == {json.dumps(v)}" for v in _as_list(values))
                when.append(f"(context has {k} && ({alts}))")
        effect = "permit" if st["Effect"] == "Allow" else "forbid"
        body = f" when {{ {' && '.join(when)} }}" if when else ""
        out.append(
            f"@id({json.dumps(sid)})\n{effect}(principal == Role::{role}, {scope}, resource){body};"
        )
    return "\n".join(out)


def entities(workload: dict[str, Any]) -> list[dict[str, Any]]:
    patterns = _action_patterns(workload)
    ents: list[dict[str, Any]] = [
        {"uid": {"type": "Action", "id": p}, "attrs": {}, "parents": []} for p in patterns
    ]
    for action in sorted({r["action"] for r in workload["requests"]}):
        parents = [
            {"type": "Action", "id": p}
            for p in patterns
            if fnmatch.fnmatchcase(action.lower(), p.lower())
        ]
        ents.append({"uid": {"type": "Action", "id": action}, "attrs": {}, "parents": parents})
    ents.append(
        {"uid": {"type": "Role", "id": workload["role"]["arn"]}, "attrs": {}, "parents": []}
    )
    for arn in sorted({r["resource"] for r in workload["requests"]}):
        ents.append({"uid": {"type": "Resource", "id": arn}, "attrs": {"arn": arn}, "parents": []})
    return ents


def requests(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "principal": {"type": "Role", "id": workload["role"]["arn"]},
            "action": {"type": "Action", "id": r["action"]},
            "resource": {"type": "Resource", "id": r["resource"]},
            "context": r.get("context", {}),
        }
        for r in workload["requests"]
    ]
