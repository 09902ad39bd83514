"""Consent registry and consent-gated recognition.

Records (:mod:`~veil.consent.records`), the registry that grants, withdraws and expires them
(:mod:`~veil.consent.registry`), encrypted face templates (:mod:`~veil.consent.vault`), enrollment
(:mod:`~veil.consent.enroll`), 1:N matching (:mod:`~veil.consent.matching`) and the pipeline policy
that recognizes only the consenting (:mod:`~veil.consent.gate`). Submodules are imported on use.
"""
