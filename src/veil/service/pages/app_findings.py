"""The sentences ``veil check app`` and ``veil check apk`` write (:mod:`veil.rules.apps`,
:mod:`veil.rules.apk`) as catalog messages, and the words they carry in the page's language.

For pages not in English: app types and personal-information items are named as Veil's rule
data names them in Chinese (the regulation's own words); permissions, hardware features and an
inventory's function names are codes or the developer's own names and stay as written.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from veil.service.pages.errors import LIST
from veil.service.pages.labels import N_

if TYPE_CHECKING:
    from veil.rules.ruledata import AppType

APP_TYPE = r"type \d+ .+? \(.+?\)"  # AppType.label: type 1 Map navigation (地图导航类)
ITEM = r"'[a-z0-9_]+' \(.+?\)"  # apps._item_label: 'key' (English, 中文)
NAMES = r".+?"  # apk: key (English), key (English), ...
FUNCTION = r"'.*?'"
PATTERNS: tuple[tuple[str, str], ...] = (
    # veil.rules.apk
    (rf"(?P<permission>\S+) makes people present biometrics \((?P<names>{NAMES})\); "
     rf"(?P<app_type>{APP_TYPE}) needs none: keep it optional, with separate consent",
     N_("%(permission)s makes people present biometrics (%(names)s); %(app_type)s needs none: "
        "keep it optional, with separate consent.")),
    (rf"(?P<permission>\S+) reaches (?P<names>{NAMES}), outside the necessary scope of "
     rf"(?P<app_type>{APP_TYPE}); the basic function must keep working when the user denies it",
     N_("%(permission)s reaches %(names)s, outside the necessary scope of %(app_type)s: the "
        "basic function must keep working when the user denies it.")),
    (rf"(?P<permission>\S+) reaches (?P<names>{NAMES}), outside the necessary scope of "
     rf"(?P<app_type>{APP_TYPE}), and is granted at install \((?P<why>[^)]+)\): the user "
     "cannot refuse it and still use the app",
     N_("%(permission)s reaches %(names)s, outside the necessary scope of %(app_type)s, and is "
        "granted at install (%(why)s): the user cannot refuse it and still use the app.")),
    (rf"the app requires the biometric hardware feature (?P<feature>\S+) \((?P<names>{NAMES})\); "
     rf"(?P<app_type>{APP_TYPE}) needs no biometric information",
     N_("The app requires the biometric hardware feature %(feature)s (%(names)s); %(app_type)s "
        "needs no biometric information.")),
    (rf"the app requires the hardware feature (?P<feature>\S+) \((?P<names>{NAMES})\), outside "
     rf"the necessary scope of (?P<app_type>{APP_TYPE}); declare it android:required=\"false\" "
     "if the basic function works without it",
     N_("The app requires the hardware feature %(feature)s (%(names)s), outside the necessary "
        "scope of %(app_type)s: declare it android:required=\"false\" if the basic function "
        "works without it.")),
    # veil.rules.apps
    (rf"(?P<item>{ITEM}) is not necessary for (?P<app_type>{APP_TYPE}), but the basic function "
     rf"(?P<function>{FUNCTION}) cannot be used without it; make it refusable or move it to an "
     "optional function",
     N_("%(item)s is not necessary for %(app_type)s, but the basic function %(function)s cannot "
        "be used without it: make it refusable or move it to an optional function.")),
    (rf"(?P<item>{ITEM}) \(biometric\) is collected by (?P<function>{FUNCTION}), but no "
     rf"biometric information is in the necessary scope of (?P<app_type>{APP_TYPE}); it must "
     "stay optional, with separate consent",
     N_("%(item)s (biometric) is collected by %(function)s, but no biometric information is in "
        "the necessary scope of %(app_type)s: it must stay optional, with separate consent.")),
    (rf"(?P<item>{ITEM}) is sensitive personal information; (?P<function>{FUNCTION}) collects "
     r"it without separate consent \(declare separate_consent: true once a separate consent, "
     r"with necessity and impact, is asked\)",
     N_("%(item)s is sensitive personal information; %(function)s collects it without separate "
        "consent (declare separate_consent: true once a separate consent, with necessity and "
        "impact, is asked).")),
    (rf"(?P<item>{ITEM}) is collected by (?P<function>{FUNCTION}) with no stated purpose",
     N_("%(item)s is collected by %(function)s with no stated purpose.")),
    (rf"(?P<item>{ITEM}) is listed as collected, but no function collects it: say which "
     "function needs it and why, or stop collecting it",
     N_("%(item)s is listed as collected, but no function collects it: say which function "
        "needs it and why, or stop collecting it.")),
)  # fmt: skip
INSTALL_TIME = N_("a permission granted at install")
APP_TYPE_NAME = N_("%(name)s app (type %(number)s)")


def item_name(key: str) -> str:
    """An item of Veil's taxonomy by its Chinese name (its key if unknown): the regulation's
    own words, not a catalog message."""
    from veil.rules.ruledata import rule_data

    item = rule_data().items.get(key)
    return key if item is None else item.zh


def item_list(keys: str, tr: gettext.NullTranslations) -> str:
    """Comma-separated taxonomy keys (an observation's scope) by their names."""
    return tr.gettext(LIST).join(item_name(k) for k in keys.split(", "))


def app_type(label: str) -> AppType | None:
    """The app type an ``AppType.label`` (``type 1 Map navigation (地图导航类)``) names."""
    from veil.rules.ruledata import rule_data

    found = re.match(r"type (\d+) ", label)
    return None if found is None else rule_data().app_type(int(found.group(1)))


def type_name(known: AppType, tr: gettext.NullTranslations) -> str:
    """An app type by its Chinese name and its number."""
    return tr.gettext(APP_TYPE_NAME) % {"name": known.name.zh, "number": known.number}


def _app_type_words(label: str, tr: gettext.NullTranslations) -> str:
    known = app_type(label)
    return label if known is None else type_name(known, tr)


def _names(value: str, tr: gettext.NullTranslations) -> str:
    """``key (English), key (English)`` (keys of the taxonomy, whose English may hold commas and
    brackets) by the items' names; as written when some part is not a known item."""
    from veil.rules.ruledata import rule_data

    items = rule_data().items
    keys, rest = [], value
    while rest:
        key = rest.split(" (", 1)[0]
        item = items.get(key)
        whole = f"{key} ({item.en})" if item is not None else None
        if whole is None or not rest.startswith(whole):
            return value
        keys.append(key)
        rest = rest[len(whole) :].removeprefix(", ")
    return tr.gettext(LIST).join(item_name(k) for k in keys)


def _item(value: str, tr: gettext.NullTranslations) -> str:
    found = re.match(r"'([a-z0-9_]+)'", value)
    return value if found is None else f"“{item_name(found.group(1))}”"


WORDS: Mapping[str, Callable[[str, gettext.NullTranslations], str]] = {
    "names": _names,
    "item": _item,
    "app_type": _app_type_words,
    "why": lambda value, tr: tr.gettext(INSTALL_TIME) if value == INSTALL_TIME else value,
}
