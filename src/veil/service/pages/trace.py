"""A person's trace page: their timeline, each entry verified in the browser (static/verify.js)
against the log key and witness keys printed on the page, and a link to the proof bundle."""

from __future__ import annotations

import json
from collections.abc import Sequence

from veil.ledger.note import parse_vkey
from veil.ledger.person_trace import READ_SYSTEM, PersonTrace, TraceEntry
from veil.service.pages import labels
from veil.service.pages.env import render
from veil.service.pages.i18n import Language


def _event_json(entry: TraceEntry) -> str:
    return json.dumps(entry.event, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def reader_role(entry: TraceEntry) -> str | None:
    """``operator``, ``auditor`` or ``admin`` for a read of the person's records, else None."""
    system = str(entry.event.get("system", ""))
    prefix = READ_SYSTEM + "/"
    return system[len(prefix) :] if system.startswith(prefix) else None


def render_trace(
    trace: PersonTrace,
    lang: Language,
    log_vkey: str,
    witness_vkeys: Sequence[str],
    *,
    static_url: str = "/static",
    bundle_url: str = "bundle",
    person_csrf: str | None = None,
) -> str:
    """The trace page in ``lang``. The keys are shown on the page and are all the browser trusts:
    ``log_vkey`` (the log's signed-note vkey) and every witness vkey, each of which must have
    cosigned the checkpoint. ``bundle_url`` is where the router serves ``trace.bundle()``;
    ``person_csrf`` (the person's CSRF token) adds the person pages' navigation."""
    for vkey in (log_vkey, *witness_vkeys):
        parse_vkey(vkey)  # a malformed key is the server's mistake: fail before rendering
    return render(
        "trace.html",
        lang,
        static_url,
        trace=trace,
        log_vkey=log_vkey.strip(),
        witness_vkeys=[v.strip() for v in witness_vkeys],
        bundle_url=bundle_url,
        csrf=person_csrf,
        here="/me/trace",
        event_json=_event_json,
        reader_role=reader_role,
        labels=labels,
        label=labels.label,
    )
