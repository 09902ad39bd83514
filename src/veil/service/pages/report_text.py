"""The rest of a check report in the page's language: its context line and what Veil observed
(a label and a detail each). A check's reading and the report's disclaimer are catalog messages
(:func:`veil.service.pages.findings.rule_text`).

Each is matched to a catalog message the way findings are (:mod:`veil.service.pages.findings`);
codes (packages, permissions, features, rule ids) stay as written, app types and items take
their Chinese names from Veil's rule data, and what no pattern knows is shown as written and
marked as English.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping

from veil.rules.models import Observation
from veil.service.pages import app_findings
from veil.service.pages.i18n import Language, Shown, translations
from veil.service.pages.labels import N_, SCENARIOS

Detail = Callable[[str, gettext.NullTranslations], str | None]
LABELS = {
    "package": N_("Package"), "SDK": N_("Android SDK"), "permissions": N_("Permissions"),
    "features": N_("Hardware features"), "necessary scope": N_("Necessary scope"),
    "collected": N_("Collected"), "scenario": N_("Scenario"), "city": N_("City"),
    "local rules": N_("Local rules"), "veil gate": N_("veil gate"),
}  # fmt: skip
REACHES = N_("Reaches %(item)s")
_FIXED = {
    "none": N_("none"),
    "nothing": N_("nothing"),
    "none (no personal information needed)": N_("none (no personal information is needed)"),
    "none: the basic function service needs no personal information":
        N_("none: the basic function service needs no personal information"),
    "not given (no local rules applied)": N_("not given (no local rules applied)"),
    "none known for this city": N_("none known for this city"),
}  # fmt: skip
_SDK = {
    "runtime": N_("min %(min)s, target %(target)s (permissions asked at run time)"),
    "install-time": N_("min %(min)s, target %(target)s (permissions granted at install)"),
}
_REACH = {
    "in scope": N_("in the necessary scope; through %(via)s"),
    "beyond scope": N_("beyond the necessary scope; through %(via)s"),
}
FEATURE = N_("hardware feature %(name)s")
OPTIONAL = N_("%(name)s (optional)")
_GATE = re.compile(
    r"consent purpose (?P<purpose>.+?), mode (?P<mode>\S+), match threshold (?P<threshold>\S+?)"
    r"(?P<default> \(default\))?; separate per-purpose consent, withdrawal with deletion "
    r"\(crypto-shredding\), encrypted templates and ledger records are what veil gate does by "
    r"construction; faces without consent are (?P<fate>left visible \(mode none\)|redacted and "
    r"their embeddings forgotten)"
)
_GATE_TEXT = {
    False: N_("consent purpose %(purpose)s, mode %(mode)s, match threshold %(threshold)s; "
              "separate consent per purpose, withdrawal with deletion (crypto-shredding), "
              "encrypted templates and ledger records are what veil gate does by construction; "
              "faces without consent are redacted and their embeddings forgotten"),
    True: N_("consent purpose %(purpose)s, mode %(mode)s, match threshold %(threshold)s; "
             "separate consent per purpose, withdrawal with deletion (crypto-shredding), "
             "encrypted templates and ledger records are what veil gate does by construction; "
             "faces without consent are left visible (mode none)"),
}  # fmt: skip
DEFAULT_THRESHOLD = N_("%(value)s (the default)")
NOT_NAMED = N_("not named")
CONTEXT_APP = N_("%(app_type)s; basic function: %(function)s")
CONTEXT_DEPLOYMENT = N_("Face-recognition deployment: %(scenario)s")
CONTEXT_DEPLOYMENT_IN = N_("Face-recognition deployment: %(scenario)s, in %(city)s")


def _fixed(detail: str, tr: gettext.NullTranslations) -> str | None:
    return tr.gettext(_FIXED[detail]) if detail in _FIXED else None


def _codes(detail: str, tr: gettext.NullTranslations) -> str:
    """Codes or names (permissions, rule ids, a city) as written, or a fixed word ("none")."""
    return _fixed(detail, tr) or detail


def _scope(detail: str, tr: gettext.NullTranslations) -> str:
    return _fixed(detail, tr) or app_findings.item_list(detail, tr)


def _sdk(detail: str, tr: gettext.NullTranslations) -> str | None:
    found = re.fullmatch(r"min (?P<min>\S+), target (?P<target>\S+) \((?P<kind>\S+) permissions\)",
                         detail)  # fmt: skip
    if found is None or found["kind"] not in _SDK:
        return None
    return tr.gettext(_SDK[found["kind"]]) % {"min": found["min"], "target": found["target"]}


def _features(detail: str, tr: gettext.NullTranslations) -> str:
    return _fixed(detail, tr) or ", ".join(
        tr.gettext(OPTIONAL) % {"name": f.removesuffix(" (optional)")}
        if f.endswith(" (optional)") else f
        for f in detail.split(", ")
    )  # fmt: skip


def _reach(detail: str, tr: gettext.NullTranslations) -> str | None:
    status, _, via = detail.partition("; via ")
    if status not in _REACH:
        return None
    ways = (
        tr.gettext(FEATURE) % {"name": v.removeprefix("feature ")} if v.startswith("feature ")
        else v for v in via.split(", ")
    )  # fmt: skip
    return tr.gettext(_REACH[status]) % {"via": ", ".join(ways)}


def _gate(detail: str, tr: gettext.NullTranslations) -> str | None:
    found = _GATE.fullmatch(" ".join(detail.split()))
    if found is None:
        return None
    purpose = found["purpose"]
    threshold = found["threshold"]
    return tr.gettext(_GATE_TEXT[found["fate"].startswith("left")]) % {
        "purpose": tr.gettext(NOT_NAMED) if purpose == "not named" else purpose,
        "mode": found["mode"],
        "threshold": tr.gettext(DEFAULT_THRESHOLD) % {"value": threshold}
        if found["default"] else threshold,
    }  # fmt: skip


_DETAILS: Mapping[str, Detail] = {
    "package": lambda d, tr: d, "SDK": _sdk, "permissions": _codes, "features": _features,
    "necessary scope": _scope, "collected": _scope,
    "scenario": lambda d, tr: tr.gettext(SCENARIOS[d]) if d in SCENARIOS else None,
    "city": _codes, "local rules": _codes, "veil gate": _gate,
}  # fmt: skip


def observation(row: Observation, lang: Language) -> tuple[Shown, Shown]:
    """What Veil observed, as one row of the report page: its label and its detail."""
    if lang == "en":
        return Shown(row.label, "en"), Shown(row.detail, "en")
    tr = translations(lang)
    key = row.label.removeprefix("reaches ") if row.label.startswith("reaches ") else None
    if key is not None:
        label: str | None = tr.gettext(REACHES) % {"item": app_findings.item_name(key)}
        detail = _reach(row.detail, tr)
    else:
        label = tr.gettext(LABELS[row.label]) if row.label in LABELS else None
        detail = _DETAILS[row.label](row.detail, tr) if row.label in _DETAILS else None
    return (
        Shown(label, lang) if label is not None else Shown(row.label, "en"),
        Shown(detail, lang) if detail is not None else Shown(row.detail, "en"),
    )


def context_line(context: str, lang: Language) -> Shown:
    """A report's context line (the app type and its basic function, or the deployment)."""
    if lang == "en":
        return Shown(context, "en")
    tr = translations(lang)
    app = re.fullmatch(rf"(?P<label>{app_findings.APP_TYPE}); basic function: .+", context)
    known = app_findings.app_type(app["label"]) if app is not None else None
    if known is not None:
        values = {
            "app_type": app_findings.type_name(known, tr),
            "function": known.basic_function.zh,
        }
        return Shown(tr.gettext(CONTEXT_APP) % values, lang)
    place = re.fullmatch(r"face-recognition deployment: (?P<scenario>\w+)(?: in (?P<city>.+))?",
                         context)  # fmt: skip
    if place is not None and place["scenario"] in SCENARIOS:
        scenario = tr.gettext(SCENARIOS[place["scenario"]])
        if place["city"] is None:
            return Shown(tr.gettext(CONTEXT_DEPLOYMENT) % {"scenario": scenario}, lang)
        values = {"scenario": scenario, "city": place["city"]}
        return Shown(tr.gettext(CONTEXT_DEPLOYMENT_IN) % values, lang)
    return Shown(context, "en")
