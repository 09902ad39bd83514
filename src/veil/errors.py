"""One exception hierarchy for Veil.

The CLI turns every :class:`VeilError` into a one-line message on stderr and the error's
``exit_code`` (1 bad input, 2 usage or configuration, 3 verification failed). Library callers
catch :class:`VeilError` (or a subclass) and never see a raw traceback for expected failures.
"""

from __future__ import annotations


class VeilError(Exception):
    """Base class of every error Veil raises on purpose."""

    exit_code: int = 1


class BadInputError(VeilError):
    """Input that cannot be used: corrupt media, malformed files, wrong types."""

    exit_code = 1


class MediaError(BadInputError):
    """An image or video that cannot be decoded, or an output that cannot be written."""


class DetectionError(VeilError):
    """A face detector failed or returned output that cannot be trusted."""


class ConfigError(VeilError):
    """Bad configuration or usage: unknown names, missing keys, invalid option values."""

    exit_code = 2


class VerificationError(VeilError):
    """A proof, signature, checkpoint or stored record failed verification."""

    exit_code = 3


class OutputError(MediaError, OSError):
    """An output (file or folder) that cannot be created or written.

    Also an :class:`OSError`, so code that already handles failed writes keeps handling it.
    """


class ClusterError(VeilError):
    """The Ray cluster failed a run: a worker lost past its retries, lost objects, the cluster
    itself gone, or an address that does not answer (then a usage error, exit status 2)."""

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
