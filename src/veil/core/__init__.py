"""Veil's ground floor: small helpers every package uses (frame type, atomic writes, digests,
database URLs and SQL dialects).

Modules here import nothing of Veil except :mod:`veil.errors`, so any package may import them
without pulling in another. This ``__init__`` only names the modules; import from them directly.
"""
