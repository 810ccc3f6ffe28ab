"""Exports: JSON lines (the entries as stored), signed checkpoints (notes), and OTLP/JSON spans per tool call
following the OpenTelemetry GenAI semantic conventions (execute_tool {gen_ai.tool.name}; gen_ai.tool.name,
gen_ai.tool.call.id, gen_ai.conversation.id, gen_ai.agent.name)."""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from handrail.journal.model import Entry
from handrail.journal.report import Checkpoint

_FIELDS = Entry.FIELDS


def entry_dict(e: Entry) -> dict[str, Any]:
    return {name: getattr(e, name) for name in _FIELDS}


def to_jsonl(entries: Iterable[Entry]) -> Iterable[str]:
    for e in entries:
        yield json.dumps(entry_dict(e), ensure_ascii=False, sort_keys=True) + "\n"


def to_checkpoints(checkpoints: Iterable[Checkpoint]) -> Iterable[str]:
    for cp in checkpoints:
        yield cp.note + "\n"


def _nanos(ts: str) -> int:
    """RFC 3339 UTC with milliseconds -> Unix nanoseconds."""
    try:
        whole, _, frac = ts.rstrip("Z").partition(".")
        parts = [int(x) for x in whole.replace("T", "-").replace(":", "-").split("-")]
        secs = calendar.timegm((*parts, 0, 0, 0))
        return secs * 1_000_000_000 + int((frac or "0").ljust(9, "0")[:9])
    except (ValueError, TypeError):
        return 0


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": str(value)}}


def _hex(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def to_otel(entries: Iterable[Entry], version: str = "") -> dict[str, Any]:
    """One span per tool call: the pre entry opens it, the post/failure entry with the same tool_use_id closes it
    (a call with no post entry keeps its start as its end and is marked interrupted). One trace per session."""
    calls: dict[str, list[Entry]] = {}
    order: list[str] = []
    for e in entries:
        if e.kind != "tool_call":
            continue
        key = e.tool_use_id or f"seq-{e.seq}"
        if key not in calls:
            calls[key] = []
            order.append(key)
        calls[key].append(e)
    spans = []
    for key in order:
        group = calls[key]
        first, last = group[0], group[-1]
        phases = {str(g.payload.get("phase", "")) for g in group}
        tool = next((g.tool for g in group if g.tool), None) or "unknown"
        attrs = [_attr("gen_ai.operation.name", "execute_tool"), _attr("gen_ai.tool.name", tool)]
        if first.tool_use_id:
            attrs.append(_attr("gen_ai.tool.call.id", first.tool_use_id))
        if first.session:
            attrs.append(_attr("gen_ai.conversation.id", first.session))
        if first.agent:
            attrs.append(_attr("gen_ai.agent.name", first.agent))
        decision = next((g.decision for g in group if g.decision), None)
        rule = next((g.rule_id for g in group if g.rule_id), None)
        exit_code = next((g.exit_code for g in reversed(group) if g.exit_code is not None), None)
        if decision:
            attrs.append(_attr("handrail.decision", decision))
        if rule:
            attrs.append(_attr("handrail.rule_id", rule))
        if exit_code is not None:
            attrs.append(_attr("process.exit.code", exit_code))
        attrs.append(_attr("handrail.journal.seq", first.seq))
        error = None
        if decision == "block":
            error = "blocked"
        elif "failure" in phases or (exit_code not in (None, 0)):
            error = "tool_error"
        elif len(group) == 1 and "pre" in phases:
            error = "interrupted"
        status: dict[str, Any] = {"code": 1}
        if error:
            attrs.append(_attr("error.type", error))
            status = {"code": 2, "message": last.summary}
        spans.append({
            "traceId": _hex(first.session or f"handrail-no-session-{first.seq}", 32),
            "spanId": _hex(f"{key}/{first.seq}", 16),
            "name": f"execute_tool {tool}",
            "kind": 1,  # SPAN_KIND_INTERNAL
            "startTimeUnixNano": str(_nanos(first.ts)),
            "endTimeUnixNano": str(_nanos(last.ts)),
            "attributes": attrs,
            "status": status,
        })
    return {"resourceSpans": [{
        "resource": {"attributes": [_attr("service.name", "handrail"), _attr("service.version", version)]},
        "scopeSpans": [{"scope": {"name": "handrail.journal", "version": version}, "spans": spans}],
    }]}
