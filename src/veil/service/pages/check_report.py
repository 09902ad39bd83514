"""A compliance check's report as the operator console shows it: the report ``veil check``
makes, read back from its JSON, its counts by level, and the same report as the files ``veil
check --format html|sarif|json`` writes, as ``data:`` links the page offers for download."""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import NamedTuple

from veil.rules.models import Level, Report
from veil.rules.report import OutputFormat, render
from veil.service.checks import MEDIA_TYPES

DOWNLOADS = (OutputFormat.HTML, OutputFormat.SARIF, OutputFormat.JSON)
_SUFFIX = {OutputFormat.HTML: "html", OutputFormat.SARIF: "sarif", OutputFormat.JSON: "json"}


class Download(NamedTuple):
    """One rendering of the report: its format, the file name offered and its ``data:`` URL."""

    fmt: str
    file_name: str
    href: str


def report_from_json(text: str) -> Report:
    """The report that :func:`veil.rules.report.render_json` wrote (its derived fields dropped)."""
    body = json.loads(text)
    body.pop("compliant", None)
    body.pop("summary", None)
    return Report.model_validate(body)


def level_counts(report: Report) -> list[tuple[str, int]]:
    """How many findings of each level, the most severe first (levels without one left out)."""
    counts = Counter(f.level for f in report.findings)
    return [(level.value, counts[level]) for level in Level if counts[level]]


def downloads(report: Report) -> list[Download]:
    """The report as ``veil check`` writes it in HTML, SARIF and JSON, each a ``data:`` link."""
    stem = f"veil-check-{report.kind}"
    out = []
    for fmt in DOWNLOADS:
        data = base64.b64encode(render(report, fmt).encode()).decode()
        media = MEDIA_TYPES[fmt].replace(" ", "")
        out.append(Download(fmt.value, f"{stem}.{_SUFFIX[fmt]}", f"data:{media};base64,{data}"))
    return out
