"""``veil consent``: purposes, consent records, face enrollment, withdrawal, a person's export.

Every command works on the database the ledger uses (``--db`` or ``VEIL_DB``; default the SQLite
file under ``$VEIL_HOME``) and logs each change to the ledger. ``--json`` prints machine output.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from veil.textsafe import safe_json, safe_markup, safe_text

consent_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
purpose_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="VEIL_DB",
        help="Database URL (sqlite:///path or postgresql://...). Default: $VEIL_HOME/veil.db.",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
Subject = Annotated[
    str, typer.Option("--subject", "-s", help="The person's identifier in your system.")
]

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


def _emit(data: Any) -> None:
    sys.stdout.write(safe_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def _record_lines(record: Any) -> list[tuple[str, str]]:
    rows = [
        ("record", record.record_id),
        ("subject", record.subject),
        ("controller", record.controller),
        ("purposes", ", ".join(record.purposes)),
        ("state", record.state.value),
        ("given", record.given_at.isoformat()),
        ("expires", record.expires_at.isoformat()),
        ("notice", f"{record.notice_version} ({record.notice_digest})"),
        ("method", record.collection_method),
        ("categories", ", ".join(record.data_categories)),
        ("legal basis", record.legal_basis),
    ]
    if record.is_minor():
        guardian = record.guardian
        rows.append(
            ("guardian", f"{guardian.relation}: {guardian.reference}" if guardian else "MISSING")
        )
    for change in record.history:
        rows.append(
            ("history", f"{change.at.isoformat()} {change.state.value} {change.note or ''}".strip())
        )
    return rows


def _print_record(record: Any) -> None:
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in _record_lines(record):
        table.add_row(key, safe_markup(value))
    _console().print(table)


def _print_records(records: list[Any], title: str) -> None:
    from rich.table import Table

    table = Table(title=safe_markup(title))
    for column in ("record", "subject", "purposes", "state", "expires"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            r.record_id,
            safe_markup(r.subject),
            ", ".join(r.purposes),
            r.validity(r.purposes[0]) if r.state.value == "given" else r.state.value,
            r.expires_at.date().isoformat(),
        )
    _console().print(table)


# -- purposes ---------------------------------------------------------------------------------
@purpose_app.command("add")
def purpose_add(
    name: Annotated[str, typer.Argument(help="Purpose name, e.g. access-gate.")],
    description: Annotated[str, typer.Option("--description", "-d", help="What it is for.")] = "",
    access: Annotated[
        bool, typer.Option("--access", help="An access purpose (entry to a place or service).")
    ] = False,
    alternative: Annotated[
        str | None,
        typer.Option(
            "--alternative", help="The non-biometric alternative offered (required with --access)."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Redefine an existing purpose.")
    ] = False,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Declare a processing purpose. Access purposes must name a non-biometric alternative."""
    from veil.consent.session import open_registry

    with open_registry(db) as registry:
        purpose = registry.declare_purpose(
            name, description=description, access=access, alternative=alternative, replace=replace
        )
    if json_output:
        _emit(purpose.model_dump(mode="json"))
    else:
        print(f"purpose {purpose.name} declared" + (" (access)" if purpose.access else ""))


@purpose_app.command("list")
def purpose_list(db: Db = None, json_output: Json = False) -> None:
    """List declared purposes."""
    from veil.consent.session import open_registry

    with open_registry(db) as registry:
        purposes = registry.purposes()
    if json_output:
        _emit([p.model_dump(mode="json") for p in purposes])
        return
    for p in purposes:
        extra = f" (access; alternative: {p.alternative})" if p.access else ""
        print(safe_text(f"{p.name}{extra}{': ' + p.description if p.description else ''}"))


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
    from veil.consent.records import Guardian, consent_validity, utcnow
    from veil.consent.registry import notice_digest as digest_of
    from veil.consent.session import open_registry
    from veil.errors import BadInputError, ConfigError

    if (notice_file is None) == (notice_digest is None):
        raise ConfigError("give exactly one of --notice-file and --notice-digest")
    if notice_file is not None:
        try:
            digest = digest_of(notice_file.read_bytes())
        except OSError as exc:
            raise BadInputError(f"cannot read the notice {notice_file}: {exc.strerror}") from None
    else:
        digest = str(notice_digest)
    now = utcnow()
    expires_at = None
    if expires is not None:
        expires_at = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    guardian_record = (
        Guardian(reference=guardian, relation=guardian_relation, given_at=now) if guardian else None
    )
    born: date | None = birth_date.date() if birth_date is not None else None
    with open_registry(db) as registry:
        record = registry.grant(
            subject=subject,
            controller=controller,
            purposes=purpose,
            notice_version=notice_version,
            notice_digest=digest,
            collection_method=method,
            valid_for=consent_validity(days),
            expires_at=expires_at,
            given_at=now,
            under_14=under_14,
            birth_date=born,
            guardian=guardian_record,
        )
    if json_output:
        _emit(record.model_dump(mode="json"))
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
        _emit([r.model_dump(mode="json") for r in done])
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
        _emit([r.model_dump(mode="json") for r in done])
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
        _emit(record.model_dump(mode="json"))
    else:
        _print_record(record)


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
        _emit([r.model_dump(mode="json") for r in records])
    else:
        _print_records(records, f"{len(records)} consent record(s)")


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
        _emit(data)
    elif output is None:
        _print_records(result.records, f"subject {subject}: {len(result.records)} consent(s)")
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
        _emit(
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


@consent_app.command("init-key")
def init_key(
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing key file (templates are lost).")
    ] = False,
) -> None:
    """Create the master key file ($VEIL_MASTER_KEY_FILE or $VEIL_HOME/master.key)."""
    from veil.consent.vault import MasterKey, master_key_path

    path = master_key_path()
    key = MasterKey.generate()
    key.write(path, overwrite=force)
    print(f"master key {key.key_id} written to {path} (keep a safe copy)")


@consent_app.command("rotate-key")
def rotate_key(
    new_key_file: Annotated[
        Path, typer.Argument(help="File holding the new master key (64 hex digits).")
    ],
    db: Db = None,
) -> None:
    """Rewrap every subject key under a new master key (then make it the configured key)."""
    from veil.consent.session import open_registry
    from veil.consent.vault import MasterKey

    new = MasterKey.from_file(new_key_file)
    with open_registry(db) as registry:
        assert registry.vault is not None
        count = registry.vault.rotate_master(new)
    print(f"{count} subject key(s) rewrapped under master key {new.key_id}")


consent_app.add_typer(purpose_app, name="purpose", help="Declare and list purposes.")


def register(app: typer.Typer) -> None:
    """Add the ``veil consent`` group."""
    app.add_typer(consent_app, name="consent", help=HELP)


IDENTITIES_HELP = """Measure face matching on labelled identities (DIR/identities.csv, or folders of them).

identities.csv has the columns image,person (image relative to the csv's folder). Each photo's
largest face is embedded as enrollment does; every pair of photos is compared. Reported: TAR at
FAR 1e-2, 1e-3 and 1e-4 with the threshold for each, the chosen threshold (the largest whose 95%
upper bound on FAR is <= 1e-3) and how the configured default threshold does on this data.

Examples:

  veil eval identities ../shared/data/faces/identities

  veil eval identities my-staff-photos/ --json > matching.json
"""


def eval_identities(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Folder with identities.csv (searched recursively).", show_default=False
        ),
    ],
    detector: Annotated[str | None, typer.Option("--detector", help="Face detector.")] = None,
    json_output: Json = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Report TAR at FAR 1e-2/1e-3/1e-4 and the chosen match threshold."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from veil.consent.evaluation import evaluate_identities, read_identities
    from veil.consent.matching import DEFAULT_THRESHOLD
    from veil.vision.detectors import DEFAULT_DETECTOR, DetectorSettings, get_detector
    from veil.vision.embeddings import get_embedder

    images = read_identities(directory)
    found_by = get_detector(detector or DEFAULT_DETECTOR, DetectorSettings(threshold=0.3))
    embedder = get_embedder()
    console = Console(stderr=True)
    if console.is_terminal and not quiet and not json_output:
        with Progress(
            TextColumn("[bold]embedding"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("embedding", total=len(images))
            report = evaluate_identities(
                directory,
                found_by,
                embedder,
                DEFAULT_THRESHOLD,
                progress=lambda n: bar.advance(task, n),
                images=images,
            )
    else:
        report = evaluate_identities(
            directory, found_by, embedder, DEFAULT_THRESHOLD, images=images
        )
    if json_output:
        _emit(report.to_dict())
        return
    from rich.table import Table

    table = Table(
        title=f"{safe_markup(report.dataset)}: {report.usable}/{report.images} photos, {report.persons} persons",
        caption=(
            f"{report.model}; {report.genuine_pairs} genuine, {report.impostor_pairs} impostor "
            f"pairs; {report.seconds:.1f} s"
        ),
    )
    for column in ("FAR target", "threshold", "TAR", "measured FAR", "false accepts"):
        table.add_column(column, justify="right")
    for p in report.points:
        note = "" if p.resolved else " (too few pairs)"
        table.add_row(
            f"{p.far_target:g}",
            f"{p.threshold:.4f}",
            f"{100 * p.tar:.1f}%",
            f"{p.far:.2e}{note}",
            str(p.false_accepts),
        )
    out = _console()
    out.print(table)
    c, d = report.chosen, report.default_point
    out.print(
        f"chosen threshold (95% upper bound on FAR <= 1e-3): {c.threshold:.4f} "
        f"(TAR {100 * c.tar:.1f}%, FAR {c.far:.2e})"
    )
    out.print(
        f"default threshold {report.default_threshold}: TAR {100 * d.tar:.1f}%, "
        f"FAR {d.far:.2e} ({d.false_accepts} false accepts)"
    )
    for line in report.unusable:
        out.print(f"unusable: {safe_text(line)}", markup=False)
