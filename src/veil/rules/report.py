"""Findings -> text, JSON, SARIF 2.1.0 and HTML.

Every format shows each finding's citations with their certainty. SARIF output follows the
OASIS SARIF 2.1.0 schema closely enough for GitHub code scanning: ``tool.driver.rules`` with
ids, and results with ``ruleId``, ``ruleIndex``, ``level``, ``message`` and a physical location
(the checked file, with a start line when one is known).
"""

from __future__ import annotations

import hashlib
import html
import json
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Any

from veil.core.atomic import atomic_output
from veil.rules.models import CheckInfo, CheckInputError, Citation, Finding, Level, Report
from veil.rules.ruledata import rule_data
from veil.textsafe import safe_json, safe_text

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/veil-privacy/veil"
DISCLAIMER = (
    "English renderings are working translations; certainty says how each fact was established. "
    "Not legal advice."
)


class OutputFormat(StrEnum):
    """The formats a check report is written in (``--format``)."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"


def _cite(citation: Citation) -> str:
    return f"{citation.label} [{citation.certainty.value}]"


def _where(finding: Finding) -> str:
    loc = finding.location
    return f"{loc.path}:{loc.line}" if loc.line else loc.path


def summary_line(report: Report) -> str:
    """E.g. '3 findings (2 errors, 1 warning): not compliant'."""
    counts = Counter(f.level for f in report.findings)
    parts = [
        f"{counts[level]} {level.value}{'s' if counts[level] != 1 else ''}"
        for level in Level
        if counts[level]
    ]
    n = len(report.findings)
    verdict = "compliant" if report.compliant else "not compliant"
    detail = f" ({', '.join(parts)})" if parts else ""
    return f"{n} finding{'s' if n != 1 else ''}{detail}: {verdict}"


def render_text(report: Report) -> str:
    """Readable plain text: context, observations, findings with citations, a verdict."""
    lines = [
        f"veil check {report.kind}: {report.subject}",
        f"  {report.context}",
        f"  file: {report.target}",
    ]
    lines += [f"  {o.label}: {o.detail}" for o in report.observations]
    lines.append(f"  checks run: {', '.join(report.checks_run) or 'none'}")
    for finding in report.findings:
        subject = f"  [{finding.subject}]" if finding.subject else ""
        lines += [
            "",
            f"{finding.level.value.upper()} {finding.check_id} {_where(finding)}{subject}",
            f"  {finding.title}.",
            f"  {finding.message}.",
            "  cites: " + "; ".join(_cite(c) for c in finding.citations),
        ]
        if finding.reading:
            lines.append(f"  reading: {finding.reading}")
    lines += ["", summary_line(report), DISCLAIMER]
    return "\n".join(safe_text(line) for line in lines) + "\n"  # no forged lines or escapes


def render_json(report: Report) -> str:
    """The report as JSON (findings, citations, certainty, verdict)."""
    body = report.model_dump(mode="json")
    body["compliant"] = report.compliant
    body["summary"] = summary_line(report)
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def _sarif_level(level: Level) -> str:
    return {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "note"}[level]


def _rule_name(info: CheckInfo) -> str:
    words = "".join(c if c.isalnum() else " " for c in info.title).split()
    return "".join(w[:1].upper() + w[1:] for w in words)


def _sarif_rule(info: CheckInfo) -> dict[str, Any]:
    cites = "\n".join(f"- {_cite(c)}: {c.text}" for c in info.citations)
    reading = f"\n\nVeil's reading: {info.reading}" if info.reading else ""
    return {
        "id": info.id,
        "name": _rule_name(info),
        "shortDescription": {"text": info.title},
        "fullDescription": {
            "text": info.title + ". Cites " + "; ".join(_cite(c) for c in info.citations) + "."
        },
        "help": {
            "text": f"{info.title}.\n{cites}{reading}\n{DISCLAIMER}",
            "markdown": f"**{info.title}**\n\n{cites}{reading}\n\n_{DISCLAIMER}_",
        },
        "defaultConfiguration": {"level": _sarif_level(info.level)},
        "properties": {
            "tags": ["privacy", "compliance", "china-pi"],
            "certainty": info.certainty.value,
            "citations": [_cite(c) for c in info.citations],
        },
    }


def _artifact_uri(path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return candidate.as_uri()
    return candidate.as_posix()


def fingerprint(report: Report, finding: Finding) -> str:
    """A stable id of one finding across runs (check, subject, file), for SARIF alert matching.

    Line numbers are left out, so editing an unrelated part of the file keeps the same alert.
    """
    key = "\x1f".join((finding.check_id, finding.subject or "", _artifact_uri(report.target)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def render_sarif(report: Report) -> str:
    """SARIF 2.1.0 log with one run of the ``veil`` driver."""
    from veil import __version__ as version

    data = rule_data()
    rule_ids = list(dict.fromkeys([*report.checks_run, *(f.check_id for f in report.findings)]))
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    uri = _artifact_uri(report.target)
    results = []
    for finding in report.findings:
        region = {"startLine": finding.location.line or 1}
        results.append(
            {
                "ruleId": finding.check_id,
                "ruleIndex": index[finding.check_id],
                "kind": "fail",
                "level": _sarif_level(finding.level),
                "message": {
                    "text": f"{finding.message}. Cites: "
                    + "; ".join(_cite(c) for c in finding.citations)
                },
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {"veilFinding/v1": fingerprint(report, finding)},
                "properties": {
                    "certainty": finding.certainty.value,
                    "subject": finding.subject,
                    "citations": [_cite(c) for c in finding.citations],
                },
            }
        )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "veil",
                        "informationUri": INFORMATION_URI,
                        "semanticVersion": version,
                        "rules": [_sarif_rule(data.check(r)) for r in rule_ids],
                    }
                },
                "artifacts": [{"location": {"uri": uri}}],
                "results": results,
                "properties": {
                    "kind": report.kind,
                    "subject": report.subject,
                    "context": report.context,
                    "compliant": report.compliant,
                },
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;"
    "vertical-align:top;text-align:left}.error{color:#a40000}.warning{color:#8a5a00}"
    ".note{color:#355}.ok{color:#1a6b1a}small{color:#555}"
)


def render_html(report: Report) -> str:
    """A self-contained HTML page (every value escaped)."""
    e = html.escape
    observations = (
        "".join(
            f"<tr><th>{e(o.label)}</th><td>{e(o.detail)}</td></tr>" for o in report.observations
        )
        + f"<tr><th>checks run</th><td>{e(', '.join(report.checks_run) or 'none')}</td></tr>"
    )
    rows = []
    for f in report.findings:
        cites = "<br>".join(
            f"{e(c.label)} <small>[{e(c.certainty.value)}]</small>" for c in f.citations
        )
        reading = f"<br><small>Veil's reading: {e(f.reading)}</small>" if f.reading else ""
        rows.append(
            f'<tr><td class="{e(f.level.value)}">{e(f.level.value)}</td>'
            f"<td>{e(f.check_id)}<br><small>{e(_where(f))}</small></td>"
            f"<td><b>{e(f.title)}</b><br>{e(f.message)}{reading}</td><td>{cites}</td></tr>"
        )
    verdict_class = "ok" if report.compliant else "error"
    findings = (
        "<table><tr><th>level</th><th>check</th><th>finding</th><th>cites</th></tr>"
        + "".join(rows)
        + "</table>"
        if rows
        else "<p>No findings.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>veil check {e(report.kind)}: {e(report.subject)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>veil check {e(report.kind)}: {e(report.subject)}</h1>"
        f"<p>{e(report.context)}<br><small>{e(report.target)}</small></p>"
        f"<table>{observations}</table><h2>Findings</h2>{findings}"
        f'<p class="{verdict_class}"><b>{e(summary_line(report))}</b></p>'
        f"<p><small>{e(DISCLAIMER)}</small></p></body></html>\n"
    )


RENDERERS = {
    OutputFormat.TEXT: render_text,
    OutputFormat.JSON: render_json,
    OutputFormat.SARIF: render_sarif,
    OutputFormat.HTML: render_html,
}


def for_terminal(text: str, fmt: OutputFormat) -> str:
    """A rendered report made safe for stdout: JSON and SARIF keep their data (controls as
    ``\\uXXXX``), text and HTML show control characters as visible escapes."""
    if fmt in (OutputFormat.JSON, OutputFormat.SARIF):
        return safe_json(text)
    return safe_text(text, multiline=True)


def render(report: Report, fmt: OutputFormat) -> str:
    """Render ``report`` in ``fmt``."""
    return RENDERERS[fmt](report)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (replacing ``path``)."""
    try:
        with atomic_output(Path(path), overwrite=True) as temporary:
            temporary.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CheckInputError(f"report {path} cannot be written: {exc.strerror or exc}") from exc


def deliver(report: Report, fmt: OutputFormat, output: Path | None) -> tuple[str, str]:
    """``report`` in ``fmt`` for ``veil check``: ``(for stdout, for stderr)``. Without ``output``,
    the report made safe for a terminal and no verdict; with it, the report is written there
    atomically (:func:`write_atomic`) and only the one-line verdict naming the file is left."""
    text = render(report, fmt)
    if output is None:
        return for_terminal(text, fmt), ""
    write_atomic(output, text)
    return "", f"{summary_line(report)}; report written to {safe_text(output)}"
