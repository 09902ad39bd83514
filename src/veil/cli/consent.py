"""``veil consent`` (purposes, records, enrollment, withdrawal, export, master key) and ``veil eval
identities``. Each command parses its options into one typed request, runs one operation of
:mod:`veil.consent` (imported on use) on the registry of ``--db`` / ``VEIL_DB`` (default
``$VEIL_HOME/veil.db``; :func:`~veil.consent.session.in_registry`) and prints its result."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from typer import Argument, Option

from veil import consent
from veil.cli.output import help_text, present, progress
from veil.consent.session import in_registry

__all__ = ["IDENTITIES_HELP", "Db", "consent_app", "eval_identities", "register"]

IDENTITIES_HELP = help_text("identities")  # `veil eval identities` lives here, beside enroll

SETTINGS = {"help_option_names": ["-h", "--help"]}
consent_app = typer.Typer(no_args_is_help=True, add_completion=False, context_settings=SETTINGS)
purpose_app = typer.Typer(no_args_is_help=True, add_completion=False, context_settings=SETTINGS)
consent_app.add_typer(purpose_app, name="purpose", help="Declare and list purposes.")

DB_HELP = "Database URL (sqlite:///path or postgresql://...). Default: $VEIL_HOME/veil.db."
Db = Annotated[str | None, Option("--db", envvar="VEIL_DB", help=DB_HELP, show_default=False)]
Json = Annotated[bool, Option("--json", help="Print JSON on stdout.")]
Subject = Annotated[str, Option("--subject", "-s", help="The person's identifier in your system.")]
Purpose = Annotated[str, Option("--purpose", "-p", help="Purpose consented to.")]


@consent_app.command("grant")
def grant(
    subject: Subject,
    controller: Annotated[str, Option("--controller", help="Who processes the data.")],
    purpose: Annotated[list[str], Option("--purpose", "-p", help="Declared purpose (repeatable).")],
    notice_version: Annotated[str, Option("--notice-version", help="Version of the notice shown.")],
    method: Annotated[
        str, Option("--method", help="How consent was collected (e.g. 'signed form').")
    ],
    notice_file: Annotated[
        Path | None,
        Option("--notice-file", help="The notice text shown (its SHA-256 is recorded)."),
    ] = None,
    notice_digest: Annotated[
        str | None, Option("--notice-digest", help="sha256:... of the notice text.")
    ] = None,
    days: Annotated[int, Option("--days", min=1, help="Valid for 1 to 36500 days.")] = 365,
    expires: Annotated[
        datetime | None, Option("--expires", help="Expiry (UTC date/time; overrides --days).")
    ] = None,
    under_14: Annotated[bool, Option("--under-14", help="The subject is under 14.")] = False,
    birth_date: Annotated[
        datetime | None,
        Option("--birth-date", formats=["%Y-%m-%d"], help="Birth date (YYYY-MM-DD)."),
    ] = None,
    guardian: Annotated[
        str | None, Option("--guardian", help="Guardian who consented (under 14).")
    ] = None,
    guardian_relation: Annotated[
        str, Option("--guardian-relation", help="e.g. parent, guardian.")
    ] = "parent",
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Record a separate consent to facial recognition for the given purposes."""
    request = consent.grant_request.GrantRequest(
        subject=subject,
        controller=controller,
        purposes=tuple(purpose),
        notice_version=notice_version,
        method=method,
        notice_digest=consent.grant_request.resolve_notice_digest(notice_file, notice_digest),
        days=days,
        expires=expires,
        under_14=under_14,
        birth_date=birth_date.date() if birth_date is not None else None,
        guardian=guardian,
        guardian_relation=guardian_relation,
    )
    present(in_registry(db, consent.grant_request.record_grant, request), json_output)


@consent_app.command("withdraw")
def withdraw(
    record_id: Annotated[
        str | None, Argument(help="Record to withdraw (or use --subject).")
    ] = None,
    subject: Annotated[
        str | None, Option("--subject", "-s", help="Withdraw every consent of this person.")
    ] = None,
    purpose: Annotated[
        str | None, Option("--purpose", "-p", help="With --subject: only this purpose.")
    ] = None,
    note: Annotated[str | None, Option("--note", help="Why (kept in the history).")] = None,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Withdraw consent: templates are deleted and the person's key destroyed, then logged."""
    withdrawal = consent.record_views.Withdrawal(record_id, subject, purpose, note)
    present(in_registry(db, consent.record_views.withdraw_records, withdrawal), json_output)


@consent_app.command("expire")
def expire(db: Db = None, json_output: Json = False) -> None:
    """Mark consents past their expiry as expired and shred their templates (run daily)."""
    present(in_registry(db, consent.record_views.expire_records), json_output)


@consent_app.command("show")
def show(
    record_id: Annotated[str, Argument(help="Record id (cr_...).")],
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Show one consent record and its history."""
    present(in_registry(db, consent.record_views.show_record, record_id), json_output)


@consent_app.command("list")
def list_records(
    subject: Annotated[str | None, Option("--subject", "-s", help="Only this person.")] = None,
    purpose: Annotated[str | None, Option("--purpose", "-p", help="Only this purpose.")] = None,
    state: Annotated[str | None, Option("--state", help="given, withdrawn or expired.")] = None,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """List consent records."""
    selection = consent.record_views.RecordFilter(subject, purpose, state)
    present(in_registry(db, consent.record_views.list_records, selection), json_output)


@consent_app.command("export")
def export(
    subject: Subject,
    output: Annotated[
        Path | None, Option("--output", "-o", help="Write the JSON export to this file.")
    ] = None,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Everything held about one person: every consent and every ledger event about them."""
    present(in_registry(db, consent.subject_export.export_subject, subject, output), json_output)


@consent_app.command("enroll")
def enroll(
    subject: Subject,
    purpose: Purpose,
    photos: Annotated[list[Path], Argument(help="Photos, each showing exactly one face.")],
    detector: Annotated[str | None, Option("--detector", help="Face detector.")] = None,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Store encrypted face templates of a person with valid consent for the purpose."""
    request = consent.enroll.EnrollRequest(subject, purpose, tuple(photos), detector)
    present(in_registry(db, consent.enroll.enroll_photos, request), json_output)


@consent_app.command("init-key")
def init_key(
    force: Annotated[
        bool, Option("--force", help="Replace an existing key file (templates are lost).")
    ] = False,
) -> None:
    """Create the master key file ($VEIL_MASTER_KEY_FILE or $VEIL_HOME/master.key)."""
    present(consent.master_keys.create_master_key(overwrite=force))


@consent_app.command("rotate-key")
def rotate_key(
    new_key_file: Annotated[
        Path, Argument(help="File holding the new master key (64 hex digits).")
    ],
    db: Db = None,
) -> None:
    """Rewrap every subject key under a new master key (then make it the configured key)."""
    present(in_registry(db, consent.master_keys.rotate_master_key, new_key_file))


@purpose_app.command("add")
def purpose_add(
    name: Annotated[str, Argument(help="Purpose name, e.g. access-gate.")],
    description: Annotated[str, Option("--description", "-d", help="What it is for.")] = "",
    access: Annotated[
        bool, Option("--access", help="An access purpose (entry to a place or service).")
    ] = False,
    alternative: Annotated[
        str | None,
        Option(
            "--alternative", help="The non-biometric alternative offered (required with --access)."
        ),
    ] = None,
    replace: Annotated[bool, Option("--replace", help="Redefine an existing purpose.")] = False,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Declare a processing purpose. Access purposes must name a non-biometric alternative."""
    spec = consent.purpose_views.PurposeSpec(name, description, access, alternative, replace)
    present(in_registry(db, consent.purpose_views.declare_purpose, spec), json_output)


@purpose_app.command("list")
def purpose_list(db: Db = None, json_output: Json = False) -> None:
    """List declared purposes."""
    present(in_registry(db, consent.purpose_views.list_purposes), json_output)


def eval_identities(
    directory: Annotated[
        Path,
        Argument(help="Folder with identities.csv (searched recursively).", show_default=False),
    ],
    detector: Annotated[str | None, Option("--detector", help="Face detector.")] = None,
    json_output: Json = False,
    quiet: Annotated[bool, Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Report TAR at FAR 1e-2/1e-3/1e-4 and the chosen match threshold."""
    with progress("[bold]embedding", shown=not (quiet or json_output)) as tick:
        report = consent.evaluation.measure_identities(directory, detector, tick)
    present(report, json_output)


def register(app: typer.Typer) -> None:
    """Add the ``veil consent`` group."""
    app.add_typer(consent_app, name="consent", help=help_text("consent"))
