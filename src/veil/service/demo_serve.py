"""What ``veil serve --demo`` runs on: the demo office seeded into a fresh (temporary) home, its
deployment registered, one operator, one auditor and one admin account with generated one-time
passwords, and a person link for the enrolled visitor (:func:`prepare_demo`), then the lines
``veil serve --demo`` prints (:func:`demo_banner`) and the run itself (:func:`serve_demo`).
Nothing here has a default credential: every secret is generated for this demo home and shown once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from veil.service.accounts import add_account, generate_password
from veil.service.db import ServiceDb
from veil.service.demo import CONTROLLER, NOTICE, DemoSeed, seed_demo
from veil.service.deployments import DeploymentInfo, register_deployment
from veil.service.settings import ServiceSettings
from veil.service.tokens import create_person_link

SITE = "sales-office"
NOTICE_VERSION = "2026-11"
LINK_TTL_S = 7 * 86400
ACCOUNTS = (("demo-operator", "operator"), ("demo-auditor", "auditor"), ("demo-admin", "admin"))


@dataclass(frozen=True)
class Credential:
    """One generated credential of the demo (shown once)."""

    role: str
    name: str
    secret: str


@dataclass
class DemoWorld:
    """The seeded home, the settings to serve it with, and the credentials for each role."""

    seed: DemoSeed
    settings: ServiceSettings
    person_subject: str
    credentials: list[Credential] = field(default_factory=list)

    def credential(self, role: str) -> Credential:
        """The credential of ``role`` (operator, auditor, admin or person)."""
        return next(c for c in self.credentials if c.role == role)


def prepare_demo(
    home: Path | None = None, *, host: str = "127.0.0.1", port: int = 8000, events: int = 300,
    enroll_sample: bool = True,
) -> DemoWorld:  # fmt: skip
    """Seed the demo into ``home`` (default: a new temporary folder) and make its accounts."""
    home = home or Path(tempfile.mkdtemp(prefix="veil-demo-"))
    seed = seed_demo(home, events=events, enroll_sample=enroll_sample)
    settings = ServiceSettings(
        host=host, port=port, home=home, witness_home=seed.witness_dir,
        witnesses=(str(seed.witness_dir),),
    )  # fmt: skip
    info = DeploymentInfo(
        name=SITE, controller=CONTROLLER, notice_version=NOTICE_VERSION,
        notice_text=NOTICE.decode("utf-8"),
    )  # fmt: skip
    register_deployment(home, info, seed.deployment.read_bytes())
    subject = seed.enrolled or seed.subjects[0]
    world = DemoWorld(seed, settings, subject)
    db = ServiceDb(settings.db_url())
    try:
        for name, role in ACCOUNTS:
            password = generate_password()
            add_account(db, name, role, password)
            world.credentials.append(Credential(role, name, password))
        from veil.ledger import Ledger

        with Ledger.open(seed.db_url, key_dir=home / "ledger", create=False) as ledger:
            pseudonym = ledger.pseudonym(subject)
        secret, _ = create_person_link(db, pseudonym, LINK_TTL_S, created_by="demo")
        world.credentials.append(Credential("person", subject, secret))
    finally:
        db.close()
    return world


def demo_banner(world: DemoWorld, base_url: str) -> str:
    """What ``veil serve --demo`` prints: the home, the URLs and each role's credential."""
    api = f"{base_url}/api/v1"
    person = world.credential("person")
    lines = [
        f"Veil demo: {world.seed.events} ledger entries, {world.seed.checkpoints} checkpoints "
        f"cosigned by a local witness; home {world.seed.home} (temporary, deleted on exit)",
        "",
        f"  public notice   {api}/public/deployments/{SITE}",
        f"  checkpoint      {base_url}/log/checkpoint",
        f"  OpenAPI         {base_url}/openapi.json",
        "",
        f"  person ({person.name}): send 'Authorization: Bearer {person.secret}'",
        f"      {api}/me/consents   {api}/me/trace   {api}/me/rights",
    ]
    for role in ("operator", "auditor", "admin"):
        c = world.credential(role)
        lines.append(f"  {role:<8} name {c.name:<14} password {c.secret}   (shown once)")
    lines += [
        f'      sign in: POST {api}/auth/login with JSON {{"name": ..., "password": ...}}',
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def serve_demo(
    host: str,
    port: int,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Seed a temporary demo home, ``announce`` its banner, serve it until stopped, delete it."""
    import os
    import shutil

    from veil.service.app import serve

    world = prepare_demo(host=host, port=port)
    try:
        # the demo's consent vault is the demo home's own key, whatever the shell has set
        os.environ.pop("VEIL_MASTER_KEY", None)
        os.environ["VEIL_MASTER_KEY_FILE"] = str(world.seed.home / "master.key")
        settings = world.settings.model_copy(update={"certfile": certfile, "keyfile": keyfile})
        scheme = "https" if certfile else "http"
        announce(demo_banner(world, f"{scheme}://{host}:{port}"))
        serve(settings)
    finally:
        shutil.rmtree(world.seed.home, ignore_errors=True)
