"""Reading a dashboard chart back out of a page: its SVG (to see what is drawn, from the marks'
``data-*`` attributes) and the table of the same numbers beside it."""

from __future__ import annotations

import re
from xml.etree import ElementTree

SVG = "{http://www.w3.org/2000/svg}"


def chart_svg(page: str, chart_id: str) -> ElementTree.Element:
    """The chart ``chart_id`` of ``page`` as an SVG element tree."""
    found = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', page, re.S)
    assert found is not None, chart_id
    text = found.group(0).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return ElementTree.fromstring(text)


def chart_table(page: str, chart_id: str) -> list[list[str]]:
    """The rows (cell texts) of the table beside the chart ``chart_id``."""
    found = re.search(rf'data-chart-table="{chart_id}">(.*?)</table>', page, re.S)
    assert found is not None, chart_id
    body = found.group(1).split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
