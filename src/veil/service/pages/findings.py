"""Findings in the page's language: compliance findings of ``veil check deployment`` (the notice
and the dashboard show them) and the ledger monitor's findings (the auditor's page).

A check's title is a catalog message (every check title of Veil's rule data is extracted into
the catalogs, see :func:`veil.service.pages.messages.extracted`). A finding's message is matched
like a library error (:func:`veil.service.pages.errors.fill_known`): each sentence a rule writes
is a pattern whose named parts (numbers, and codes translated word by word) fill a catalog
message; a message a rule joins from parts with ``"; "`` is translated part by part. A citation
reads as a Chinese reader cites a law: 《title》第 N 条. What no pattern knows is shown as the
library wrote it, marked as English (:class:`Shown`).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping

from veil.service.pages import app_findings, labels
from veil.service.pages.errors import LIST, Known, fill_known
from veil.service.pages.i18n import Language, Shown, translations
from veil.service.pages.labels import N_

Q = r"'[^']*'"
NUM = r"[0-9][0-9.,e+-]*"
WORDS_RE = r"[a-z_]+(?:, [a-z_]+)*"
_RULES: tuple[tuple[str, str], ...] = (
    # deployments (veil.rules.deployment_checks): one sentence or part each
    ("face processing rests on consent, but no separate consent is asked",
     N_("Face processing rests on consent, but no separate consent is asked.")),
    ("people cannot conveniently withdraw their consent",
     N_("People cannot conveniently withdraw their consent.")),
    (rf"the notice does not cover (?P<notice_items>{WORDS_RE})",
     N_("The notice does not cover: %(notice_items)s.")),
    ("the face-processing rules are not published",
     N_("The face-processing rules are not published.")),
    ("devices in a public place without prominent notice signs",
     N_("Devices in a public place have no prominent notice signs.")),
    (r"images from a public place are used for (?P<category>[a-z_]+), not public security, "
     "without separate consent",
     N_("Images from a public place are used for %(category)s, not public security, without "
        "separate consent.")),
    ("face recognition is the only way through; offer another reasonable method",
     N_("Face recognition is the only way through: offer another reasonable method.")),
    (r"face information is stored outside the device \((?P<storage>[a-z_]+)"
     r"(?P<internet>, sent over the internet)?\) without separate consent",
     N_("Face information is stored outside the device (%(storage)s%(internet)s) without "
        "separate consent.")),
    ("no retention period is set for face information",
     N_("No retention period is set for face information.")),
    ("face information is not deleted when consent is withdrawn",
     N_("Face information is not deleted when consent is withdrawn.")),
    ("no personal-information-protection impact assessment was made before processing",
     N_("No personal-information-protection impact assessment was made before processing.")),
    (rf"assessment report and processing records are kept (?P<years>{NUM}) years, "
     rf"less than (?P<min>{NUM})",
     N_("The assessment report and processing records are kept %(years)s years, less than "
        "%(min)s.")),
    (rf"face information of (?P<people>{NUM}) people is stored \(threshold (?P<threshold>{NUM})\) "
     "but the deployment is not filed with the provincial CAC office",
     N_("Face information of %(people)s people is stored (threshold %(threshold)s), but the "
        "deployment is not filed with the provincial CAC office.")),
    (r"children under 14 may be captured but no guardian consent is asked "
     r"\(declare minors_under_14: false if they cannot be\)",
     N_("Children under 14 may be captured, but no guardian's consent is asked (declare "
        "minors_under_14: false if they cannot be).")),
    (rf"face-recognition devices in private spaces: (?P<private_spaces>{WORDS_RE})",
     N_("Face-recognition devices in private spaces: %(private_spaces)s.")),
    (r"faces of people who did not consent are (?P<fate>stored|shown unredacted|not declared), "
     "not anonymized or discarded at capture",
     N_("The faces of people who did not consent are %(fate)s, not anonymized or discarded at "
        "capture.")),
    ("consent to face recognition is a condition of the service",
     N_("Consent to face recognition is made a condition of the service.")),
    ("consent to face recognition is bundled",
     N_("Consent to face recognition is bundled with other consents.")),
    (rf"face information lacks (?P<security>{WORDS_RE})",
     N_("Face information lacks these security measures: %(security)s.")),
    ("no specific purpose is stated", N_("No specific purpose is stated.")),
    ("a property-service provider in Hangzhou makes biometric entry compulsory",
     N_("A property-service provider in Hangzhou makes biometric entry compulsory.")),
    ("a market credit-information provider in Tianjin collects face information",
     N_("A market credit-information provider in Tianjin collects face information.")),
    ("a Nanjing sales office captures visitors' faces without their consent",
     N_("A Nanjing sales office captures visitors' faces without their consent.")),
    ("visitors are forced to use face recognition",
     N_("Visitors are forced to use face recognition.")),
    ("the recognition area and purpose are not marked",
     N_("The recognition area and its purpose are not marked.")),
    ("faces are collected without consent", N_("Faces are collected without consent.")),
    (rf"the gate matches faces up to distance (?P<threshold>{NUM}), looser than "
     rf"(?P<default>{NUM}), the threshold Veil measured for a false-accept rate of at most 1e-3: "
     "more people who did not consent are recognized and shown",
     N_("The gate matches faces up to distance %(threshold)s, looser than %(default)s, the "
        "threshold Veil measured for a false-accept rate of at most 1e-3: more people who did "
        "not consent are recognized and shown.")),
)  # fmt: skip
_MONITOR: tuple[tuple[str, str], ...] = (
    (r"(?P<action>transfer|disclose) names no recipient",
     N_("The event (%(action)s) names no recipient.")),
    (rf"consent for (?P<purpose>{Q}) ended before",
     N_("The consent for %(purpose)s had ended before.")),
    (rf"no consent in force for (?P<purpose>{Q})",
     N_("No consent was in force for %(purpose)s.")),
    (r"(?P<num>\d+) entries and no checkpoint", N_("%(num)s entries and no checkpoint.")),
    (r"checkpoint (?P<id>\d+) \((?P<size>\d+)\) after (?P<prev>\d+)",
     N_("Checkpoint %(id)s (%(size)s entries) comes after one of %(prev)s entries.")),
    (r"checkpoint (?P<id>\d+): another root for size (?P<size>\d+)",
     N_("Checkpoint %(id)s has another root for the same size %(size)s.")),
    (r"checkpoint (?P<id>\d+) has no cosignature", N_("Checkpoint %(id)s has no cosignature.")),
    (r"entries (?P<first>\d+)\.\.(?P<last>\d+) are in no checkpoint",
     N_("Entries %(first)s to %(last)s are in no checkpoint.")),
    ("not a JSON event object", N_("The entry is not a JSON event object.")),
    (r"witness evidence for (?P<origin>\S+): (?P<reason>.+)",
     N_("A witness holds evidence against the log %(origin)s: %(reason)s")),
)  # fmt: skip
RULES: Known = tuple((re.compile(p), m) for p, m in (*_RULES, *app_findings.PATTERNS))
MONITOR: Known = tuple((re.compile(p), m) for p, m in _MONITOR)
MONITOR_RULES = {
    "transfer-without-recipient": N_("Transfer without a recipient"),
    "identify-after-withdrawal": N_("Recognition after the consent ended"),
    "identify-without-consent": N_("Recognition without consent"),
    "no-checkpoint": N_("No checkpoint"),
    "checkpoint-size-decrease": N_("A checkpoint smaller than the one before"),
    "split-view": N_("Split view: two versions of the log"),
    "unwitnessed-checkpoint": N_("Checkpoint without a witness"),
    "uncheckpointed-entries": N_("Entries in no checkpoint"),
    "unreadable-entry": N_("Unreadable entry"),
}
# codes a rule's message lists, by the pattern's group name
_CODES: Mapping[str, Mapping[str, str]] = {
    "notice_items": {
        "processor": N_("who processes"), "purpose": N_("the purpose"),
        "method": N_("the method"), "retention": N_("the retention period"),
        "necessity_and_impact": N_("the necessity and the impact"),
        "rights": N_("people's rights"),
    },
    "private_spaces": {
        "hotel_room": N_("hotel rooms"), "public_bath": N_("public baths"),
        "changing_room": N_("changing rooms"), "toilet": N_("toilets"),
    },
    "security": {
        "encryption": N_("encryption"), "access_control": N_("access control"),
        "audit": N_("audit records"), "authorization": N_("authorization"),
        "intrusion_detection": N_("intrusion detection"),
    },
    "fate": {
        "stored": N_("stored"), "shown unredacted": N_("shown unredacted"),
        "not declared": N_("not declared"),
    },
    "category": labels.PURPOSE_CATEGORIES,
    "storage": labels.STORAGE,
    "action": labels.ACTIONS,
    "internet": {", sent over the internet": N_(", sent over the internet")},
}  # fmt: skip
_LISTS = frozenset({"notice_items", "private_spaces", "security"})  # codes joined with ", "


def _codes(group: str, value: str, tr: gettext.NullTranslations) -> str:
    if group in app_findings.WORDS:
        return app_findings.WORDS[group](value, tr)
    table = _CODES.get(group)
    if table is None or not value:
        return value or ""
    if group not in _LISTS:
        return tr.gettext(table.get(value, value))
    return tr.gettext(LIST).join(tr.gettext(table.get(v, v)) for v in value.split(", "))


def _message(text: str, known: Known, lang: Language) -> Shown:
    if lang == "en":
        return Shown(text, "en")
    tr = translations(lang)
    whole = fill_known(text, known, tr, _codes)
    if whole is not None:
        return Shown(whole, lang)
    parts = [fill_known(p, known, tr, _codes) for p in text.split("; ")]
    if len(parts) > 1 and all(p is not None for p in parts):
        return Shown("".join(p for p in parts if p is not None), lang)
    return Shown(text, "en")


def finding_message(message: str, lang: Language) -> Shown:
    """A compliance finding's message in ``lang`` (English pages show it as the check wrote
    it, as ``veil check`` prints it)."""
    return _message(message, RULES, lang)


def rule_text(text: str, lang: Language) -> Shown:
    """A fixed text of Veil's rules in ``lang``: a check's title or reading (from the rule data)
    or a report's disclaimer, each a catalog message (see
    :func:`veil.service.pages.messages.extracted`)."""
    got = translations(lang).gettext(text)
    return Shown(got, lang if lang == "en" or got != text else "en")


def monitor_rule(rule: str, lang: Language) -> str:
    """The readable name of a monitor rule (its code when the table does not know it)."""
    return translations(lang).gettext(MONITOR_RULES[rule]) if rule in MONITOR_RULES else rule


def monitor_detail(detail: str, lang: Language) -> Shown:
    """A monitor finding's detail in ``lang`` (as the monitor wrote it on English pages)."""
    return _message(detail, MONITOR, lang)


def citation_label(instrument: str, article: str, label: str, lang: Language) -> str:
    """How a page cites an article: ``label`` ("PIPL Art. 29") on English pages; on Chinese
    ones 《the instrument's Chinese title》第29条 (item "(3)" as 第（3）项)."""
    if lang == "en":
        return label
    from veil.rules.ruledata import rule_data

    known = rule_data().instruments.get(instrument)
    if known is None:
        return label
    title = known.title_zh if "《" in known.title_zh else f"《{known.title_zh}》"
    found = re.fullmatch(r"(\d+)(?:\((\w+)\))?", article)
    if found is None:
        return title
    item = f"第（{found.group(2)}）项" if found.group(2) else ""
    return f"{title}第{found.group(1)}条{item}"
