"""Consent registry and consent-gated recognition.

Records (:mod:`~veil.consent.records`), their tables (:mod:`~veil.consent.store`), the registry
that declares purposes and grants, withdraws and expires consents (:mod:`~veil.consent.registry`),
the events it sends to the ledger (:mod:`~veil.consent.events`), encrypted face templates and
crypto-shredding (:mod:`~veil.consent.vault`), enrollment (:mod:`~veil.consent.enroll`), 1:N
matching (:mod:`~veil.consent.matching`), the pipeline policy that recognizes only the consenting
(:mod:`~veil.consent.gate`), matching accuracy on labelled photos (:mod:`~veil.consent.evaluation`)
and opening all of it on the ledger's database (:mod:`~veil.consent.session`). Submodules are
imported on use.
"""
