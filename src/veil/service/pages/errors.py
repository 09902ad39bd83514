"""Errors from library code, translated for the pages: each known one-line message (of
``veil.consent``, ``veil.rules``, the service and the page routers) is matched by a pattern
whose named parts (names, ids, numbers: data, not English) fill a catalog message. An unknown
message is shown as it is, marked as English."""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping

from veil.service.pages.i18n import Language, Shown, translations
from veil.service.pages.labels import N_

Q = r"'[^']*'"  # a quoted name, as the library's messages quote them (repr)
FILE = r"[^\s:]+"
Known = tuple[tuple[re.Pattern[str], str], ...]
Words = Callable[[str, str, gettext.NullTranslations], str]
_KNOWN: tuple[tuple[str, str], ...] = (
    # the page routers
    ("a consent needs the notice shown to the person first",
     N_("Show the person the notice first: a consent is recorded only on a notice they saw.")),
    ("choose a photo of your face to upload", N_("Choose a photo of your face to upload.")),
    ("choose in_progress, fulfilled or refused", N_("Choose the next step of the request.")),
    ("choose what to check and the file to upload",
     N_("Choose what to check and the file to upload.")),
    ("for a child under 14, give the parent's or guardian's name",
     N_("For a child under 14, give the parent's or guardian's name.")),
    ("name the person and the purpose, and choose a photo",
     N_("Name the person and the purpose, and choose a photo.")),
    ("name the person the link is for", N_("Name the person the link is for.")),
    ("tick the box to give this consent, or simply do not",
     N_("Tick the box to give this consent, or simply do not.")),
    ("no consent record of yours yet: ask the operator",
     N_("There is no consent record of yours yet: ask the operator.")),
    ("no such checkpoint", N_("There is no such checkpoint.")),
    ("no such verify job", N_("There is no such verify job.")),
    ("the notice changed since you read it: read it again",
     N_("The notice changed since you read it: read it again.")),
    (r"invalid camera name (?P<name>'[^']*'): letters, digits, - _ \. \(at most 64\)",
     N_("The camera name %(name)s is not valid: use letters, digits, - _ . (at most 64).")),
    # authentication and roles
    (r"missing or wrong CSRF token \(X-CSRF-Token or csrf_token\)",
     N_("This form has expired or did not come from this site: open the page again.")),
    (r"this needs the role (?P<roles>[a-z]+(?: or [a-z]+)*)",
     N_("This needs the role %(roles)s.")),
    ("sign in or present a token", N_("Sign in first.")),
    ("this person link is unknown, expired or revoked",
     N_("This personal link is unknown, expired or revoked.")),
    # consents, purposes and rights requests (veil.consent)
    (rf"no consent record (?P<id>{Q})", N_("There is no consent record %(id)s.")),
    (rf"no consent recorded for subject (?P<subject>{Q})(?:: grant one first)?",
     N_("No consent is recorded for %(subject)s: record one first.")),
    (rf"subject (?P<subject>{Q}) has no valid consent for purpose (?P<purpose>{Q}) "
     r"\((?P<reasons>[a-z ,]+)\)",
     N_("%(subject)s has no valid consent for the purpose %(purpose)s (%(reasons)s).")),
    (r"consent (?P<id>\S+) is already (?P<state>[a-z]+)",
     N_("The consent %(id)s is already %(state)s.")),
    (r"consent (?P<id>\S+) is no longer valid", N_("The consent %(id)s is no longer valid.")),
    (rf"purpose (?P<name>{Q}) is already declared \(use --replace\)",
     N_("The purpose %(name)s is already declared.")),
    (rf"purpose (?P<name>{Q}): .*alternative.*",
     N_("The purpose %(name)s is for entry: name the non-biometric alternative offered.")),
    (rf"purpose (?P<name>{Q}): .*",
     N_("The purpose %(name)s is not valid: use lower-case letters, digits, - _ . (at most 64).")),
    (r"a refusal must state its reason \(PIPL Art\. 50\)",
     N_("A refusal must state its reason (PIPL Art. 50).")),
    (r"a note is at most (?P<num>\d+) characters", N_("A note is at most %(num)s characters.")),
    (rf"no rights request (?P<id>{Q})", N_("There is no rights request %(id)s.")),
    (r"rights request (?P<id>\S+) changed meanwhile: try again",
     N_("The rights request %(id)s changed meanwhile: try again.")),
    (rf"no deployment (?P<name>{Q})", N_("There is no deployment %(name)s.")),
    (rf"invalid deployment name (?P<name>{Q}): lower-case letters, digits, -",
     N_("The deployment name %(name)s is not valid: use lower-case letters, digits and -.")),
    (rf"no camera (?P<name>{Q})", N_("There is no camera %(name)s.")),
    ("the health URL is not a valid URL", N_("The health URL is not a valid URL.")),
    (r"the health URL must be an http:// or https:// URL",
     N_("The health URL must be an http:// or https:// URL.")),
    # photos and enrollment
    ("the upload is not a JPEG, PNG or WebP image",
     N_("The upload is not a JPEG, PNG or WebP image.")),
    (r"(?P<format>[A-Z0-9]+) images are not accepted: send JPEG, PNG or WebP",
     N_("%(format)s images are not accepted: send a JPEG, PNG or WebP image.")),
    (r"the image has (?P<pixels>\d+) pixels; at most (?P<max>\d+) accepted",
     N_("The image has %(pixels)s pixels; at most %(max)s are accepted.")),
    (rf"(?P<file>{FILE}): no face found; use a clear, frontal photo of one person",
     N_("No face was found in %(file)s: use a clear, frontal photo of one person.")),
    (rf"(?P<file>{FILE}): (?P<num>\d+) faces found; an enrollment photo must show exactly one face",
     N_("%(num)s faces were found in %(file)s: an enrollment photo must show exactly one face.")),
    (rf"(?P<file>{FILE}): the face is too small \((?P<px>\d+) px, at least (?P<min>\d+) px needed\)",
     N_("The face in %(file)s is too small (%(px)s px; at least %(min)s px are needed).")),
    (r"cannot .+ without the master key \(the template vault\)",
     N_("The service has no master key for the template vault: ask its administrator.")),
    (r"enrollment needs the template vault \(the master key\)",
     N_("The service has no master key for the template vault: ask its administrator.")),
    # camera health (veil.service.cameras); a camera's own error text is its own
    (r"no answer: (?P<name>\w+)", N_("No answer (%(name)s).")),
    (r"unexpected answer: HTTP (?P<status>\d+)", N_("Unexpected answer: HTTP %(status)s.")),
    ("the endpoint did not report this camera",
     N_("The health endpoint did not report this camera.")),
    # compliance checks (veil.rules)
    (r"an APK check needs app_type \(veil check types\)",
     N_("An APK check needs the app type (see veil check types).")),
    (r"APK (?P<file>\S+) is not an Android package \(not a ZIP archive\)",
     N_("%(file)s is not an Android package (not a ZIP archive).")),
    (r"APK (?P<file>\S+) has no AndroidManifest\.xml",
     N_("%(file)s has no AndroidManifest.xml.")),
    (r"APK (?P<file>\S+) (?:is corrupt|cannot be parsed|has a broken AndroidManifest\.xml).*",
     N_("%(file)s is damaged or cannot be read as an Android package.")),
    (r"deployment (?P<file>\S+): the file must hold exactly one top-level key, .*",
     N_("%(file)s must hold exactly one top-level key, deployment or veil_gate.")),
    (r"inventory (?P<file>\S+) must be a mapping \(key: value\) at the top level",
     N_("%(file)s must be a mapping (key: value) at the top level.")),
    (r"inventory (?P<file>\S+): (?P<fields>[a-z_]+(?:\.[a-z_0-9]+)*): Field required.*",
     N_("%(file)s lacks required fields (the first: %(fields)s).")),
)  # fmt: skip
KNOWN: Known = tuple((re.compile(p), m) for p, m in _KNOWN)
# the words a pattern captures that are English, translated on their own
WORDS: Mapping[str, str] = {
    "withdrawn": N_("withdrawn"),
    "expired": N_("expired"),
    "given": N_("given"),
    "wrong purpose": N_("not for this purpose"),
    "not yet valid": N_("not yet valid"),
    "guardian missing": N_("no guardian's consent"),
    "valid": N_("valid"),
    "operator": N_("operator"),
    "auditor": N_("auditor"),
    "admin": N_("administrator"),
    "person": N_("person"),
}
OR = N_(" or ")
LIST = N_(", ")


def _words(group: str, value: str, tr: gettext.NullTranslations) -> str:
    if group == "roles":
        return tr.gettext(OR).join(tr.gettext(WORDS.get(r, r)) for r in value.split(" or "))
    if group == "reasons":
        return tr.gettext(LIST).join(tr.gettext(WORDS.get(r, r)) for r in value.split(", "))
    if group == "state":
        return tr.gettext(WORDS.get(value, value))
    return value


def fill_known(text: str, known: Known, tr: gettext.NullTranslations, words: Words) -> str | None:
    """The catalog message of the first pattern of ``known`` that matches all of ``text``
    (spaces collapsed), its placeholders filled with the named parts, each passed through
    ``words(name, value, tr)``; None when no pattern matches."""
    text = " ".join(text.split())
    for pattern, message in known:
        found = pattern.fullmatch(text)
        if found:
            values = {k: words(k, v, tr) for k, v in found.groupdict().items()}
            return tr.gettext(message) % values if values else tr.gettext(message)
    return None


def translate_error(detail: str, tr: gettext.NullTranslations) -> str | None:
    """``detail`` in the catalog's language when it is a known message, else None."""
    return fill_known(detail, KNOWN, tr, _words)


def library_text(text: str, lang: Language) -> Shown:
    """A message of Veil's library (an error, a camera's health) in ``lang`` when it is a known
    one; otherwise as written, marked English."""
    known = translate_error(text, translations(lang)) if lang != "en" else None
    return Shown(text, "en") if known is None else Shown(known, lang)
