"""``veil consent``: purposes, consent records, face enrollment, withdrawal, a person's export.

Every command works on the database the ledger uses (``--db`` or ``VEIL_DB``; default the SQLite
file under ``$VEIL_HOME``) and logs each change to the ledger. ``--json`` prints machine output.
Options and output helpers: :mod:`veil.cli.consent_common`; tables: :mod:`veil.cli.consent_view`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from veil.cli import consent_keys, consent_purpose
from veil.cli.consent_common import Db, Json, Subject, consent_app, emit, purpose_app
from veil.cli.consent_eval import IDENTITIES_HELP, eval_identities
from veil.cli.consent_view import print_record, print_records
from veil.textsafe import safe_text

__all__ = ["IDENTITIES_HELP", "Db", "consent_app", "eval_identities", "register"]

HELP = """Consent for facial recognition: declare purposes, record, withdraw, enroll, export.

Recognition is allowed only for people with a separate, purpose-bound consent that has not
expired or been withdrawn (PIPL Arts. 14, 15, 28, 29). Every change is logged to the ledger under
the person's pseudonym. Withdrawal deletes the person's face templates and destroys their key.

Examples:

  veil consent purpose add access-gate --access --alternative "key card or intercom"

  veil consent grant -s resident-17 --controller "Lakeside Residences" --purpose access-gate \\
      --notice-version 2026-01 --notice-file notice.txt --method "signed form" --days 365

  veil consent enroll -s resident-17 --purpose access-gate face1.jpg face2.jpg

  veil consent withdraw -s resident-17

  veil consent export -s resident-17 --json > resident-17.json
"""


# -- records ----------------------------------------------------------------------------------
@consent_app.command("grant")
def grant(
    subject: Subject,
    controller: Annotated[str, typer.Option("--controller", help="Who processes the data.")],
    purpose: Annotated[
        list[str], typer.Option("--purpose", "-p", help="Declared purpose (repeatable).")
    ],
    notice_version: Annotated[
        str, typer.Option("--notice-version", help="Version of the notice shown.")
    ],
    method: Annotated[
        str, typer.Option("--method", help="How consent was collected (e.g. 'signed form').")
    ],
    notice_file: Annotated[
        Path | None,
        typer.Option("--notice-file", help="The notice text shown (its SHA-256 is recorded)."),
    ] = None,
    notice_digest: Annotated[
        str | None, typer.Option("--notice-digest", help="sha256:... of the notice text.")
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Valid for 1 to 36500 days.")] = 365,
    expires: Annotated[
        datetime | None, typer.Option("--expires", help="Expiry (UTC date/time; overrides --days).")
    ] = None,
    under_14: Annotated[bool, typer.Option("--under-14", help="The subject is under 14.")] = False,
    birth_date: Annotated[
        datetime | None,
        typer.Option("--birth-date", formats=["%Y-%m-%d"], help="Birth date (YYYY-MM-DD)."),
    ] = None,
    guardian: Annotated[
        str | None, typer.Option("--guardian", help="Guardian who consented (under 14).")
    ] = None,
    guardian_relation: Annotated[
        str, typer.Option("--guardian-relation", help="e.g. parent, guardian.")
    ] = "parent",
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Record a separate consent to facial recognition for the given purposes."""
    from veil.consent.grant_request import GrantRequest, grant_consent, resolve_notice_digest
    from veil.consent.session import open_registry

    request = GrantRequest(
        subject=subject,
        controller=controller,
        purposes=tuple(purpose),
        notice_version=notice_version,
        method=method,
        notice_digest=resolve_notice_digest(notice_file, notice_digest),
        days=days,
        expires=expires,
        under_14=under_14,
        birth_date=birth_date.date() if birth_date is not None else None,
        guardian=guardian,
        guardian_relation=guardian_relation,
    )
    with open_registry(db) as registry:
        record = grant_consent(registry, request)
    if json_output:
        emit(record.model_dump(mode="json"))
    else:
        print(f"consent {record.record_id} recorded; valid until {record.expires_at.isoformat()}")


@consent_app.command("withdraw")
def withdraw(
    record_id: Annotated[
        str | None, typer.Argument(help="Record to withdraw (or use --subject).")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", "-s", help="Withdraw every consent of this person.")
    ] = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", "-p", help="With --subject: only this purpose.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (kept in the history).")] = None,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Withdraw consent: templates are deleted and the person's key destroyed, then logged."""
    from veil.consent.session import open_registry
    from veil.errors import ConfigError

    if (record_id is None) == (subject is None):
        raise ConfigError("give a record id or --subject (not both)")
    with open_registry(db) as registry:
        done = registry.withdraw(record_id, subject=subject, purpose=purpose, note=note)
    if json_output:
        emit([r.model_dump(mode="json") for r in done])
    else:
        for r in done:
            print(f"consent {r.record_id} withdrawn; face templates deleted")


@consent_app.command("expire")
def expire(db: Db = None, json_output: Json = False) -> None:
    """Mark consents past their expiry as expired and shred their templates (run daily)."""
    from veil.consent.session import open_registry

    with open_registry(db) as registry:
        done = registry.expire_due()
    if json_output:
        emit([r.model_dump(mode="json") for r in done])
    else:
        print(f"{len(done)} consent(s) expired")


@consent_app.command("show")
def show(
    record_id: Annotated[str, typer.Argument(help="Record id (cr_...).")],
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Show one consent record and its history."""
    from veil.consent.session import open_registry

    with open_registry(db) as registry:
        record = registry.get(record_id)
    if json_output:
        emit(record.model_dump(mode="json"))
    else:
        print_record(record)


@consent_app.command("list")
def list_records(
    subject: Annotated[
        str | None, typer.Option("--subject", "-s", help="Only this person.")
    ] = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", "-p", help="Only this purpose.")
    ] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="given, withdrawn or expired.")
    ] = None,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """List consent records."""
    from veil.consent.records import ConsentState
    from veil.consent.session import open_registry
    from veil.errors import ConfigError

    try:
        wanted = ConsentState(state) if state else None
    except ValueError:
        raise ConfigError(f"unknown state {state!r}: use given, withdrawn or expired") from None
    with open_registry(db) as registry:
        records = registry.records(subject=subject, purpose=purpose, state=wanted)
    if json_output:
        emit([r.model_dump(mode="json") for r in records])
    else:
        print_records(records, f"{len(records)} consent record(s)")


@consent_app.command("export")
def export(
    subject: Subject,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON export to this file.")
    ] = None,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Everything held about one person: every consent and every ledger event about them."""
    from veil.consent.session import open_registry
    from veil.core.atomic import atomic_output

    with open_registry(db) as registry:
        result = registry.export(subject)
    data = result.to_json()
    if output is not None:
        with atomic_output(output, overwrite=True) as temporary:
            temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if json_output:
        emit(data)
    elif output is None:
        print_records(result.records, f"subject {subject}: {len(result.records)} consent(s)")
        print(f"{result.templates} face template(s); {len(result.events)} ledger event(s):")
        for event in result.events:
            print(f"  {event.time} {event.action} {event.purpose} {event.consent_ref or ''}")
    else:
        print(
            f"exported {len(result.records)} consent(s), {len(result.events)} event(s) to {output}"
        )


@consent_app.command("enroll")
def enroll(
    photos: Annotated[list[Path], typer.Argument(help="Photos, each showing exactly one face.")],
    subject: Subject,
    purpose: Annotated[str, typer.Option("--purpose", "-p", help="Purpose consented to.")],
    detector: Annotated[str | None, typer.Option("--detector", help="Face detector.")] = None,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Store encrypted face templates of a person with valid consent for the purpose."""
    from veil.consent.enroll import enroll as enroll_photos
    from veil.consent.session import open_registry
    from veil.vision.detectors import DEFAULT_DETECTOR, DetectorSettings, get_detector
    from veil.vision.embeddings import get_embedder

    with open_registry(db) as registry:
        result = enroll_photos(
            registry,
            subject,
            purpose,
            photos,
            get_detector(detector or DEFAULT_DETECTOR, DetectorSettings(threshold=0.3)),
            get_embedder(),
        )
    if json_output:
        emit(
            {
                "record": result.record.record_id,
                "subject": subject,
                "purpose": purpose,
                "templates": len(result.template_ids),
                "photos": result.photos,
            }
        )
    else:
        print(
            f"{len(result.template_ids)} template(s) stored for {safe_text(subject)} "
            f"under consent {result.record.record_id}"
        )


consent_app.command("init-key")(consent_keys.init_key)
consent_app.command("rotate-key")(consent_keys.rotate_key)
purpose_app.command("add")(consent_purpose.purpose_add)
purpose_app.command("list")(consent_purpose.purpose_list)
consent_app.add_typer(purpose_app, name="purpose", help="Declare and list purposes.")


def register(app: typer.Typer) -> None:
    """Add the ``veil consent`` group."""
    app.add_typer(consent_app, name="consent", help=HELP)
