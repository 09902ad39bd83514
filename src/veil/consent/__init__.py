"""Consent registry and consent-gated recognition.

Records (:mod:`~veil.consent.records`), their tables (:mod:`~veil.consent.store`), the registry
that declares purposes and grants, withdraws and expires consents (:mod:`~veil.consent.registry`),
the events it sends to the ledger (:mod:`~veil.consent.events`), encrypted face templates and
crypto-shredding (:mod:`~veil.consent.vault`), enrollment (:mod:`~veil.consent.enroll`), 1:N
matching (:mod:`~veil.consent.matching`), the pipeline policy that recognizes only the consenting
(:mod:`~veil.consent.gate`), matching accuracy on labelled photos (:mod:`~veil.consent.evaluation`)
and opening all of it on the ledger's database (:mod:`~veil.consent.session`). The operations an
operator runs (``veil consent``) sit beside their domain: :mod:`~veil.consent.grant_request`,
:mod:`~veil.consent.record_views`, :mod:`~veil.consent.purpose_views`,
:mod:`~veil.consent.subject_export`, :mod:`~veil.consent.master_keys`.

Submodules are imported on first use (``veil.consent.record_views`` after ``from veil import
consent``), so importing the package stays light.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from veil.consent import enroll as enroll
    from veil.consent import evaluation as evaluation
    from veil.consent import grant_request as grant_request
    from veil.consent import master_keys as master_keys
    from veil.consent import purpose_views as purpose_views
    from veil.consent import record_views as record_views
    from veil.consent import subject_export as subject_export

_ON_USE = {"enroll", "evaluation", "grant_request", "master_keys", "purpose_views", "record_views",
           "subject_export"}  # fmt: skip


def __getattr__(name: str) -> ModuleType:
    """The submodule ``name``, imported on first use."""
    if name in _ON_USE:
        return importlib.import_module(f"veil.consent.{name}")
    raise AttributeError(f"module 'veil.consent' has no attribute {name!r}")
