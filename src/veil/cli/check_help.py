"""Help texts of ``veil check`` (its group and each command), kept apart from the commands."""

from __future__ import annotations

import textwrap


def teach(text: str) -> str:
    """Help text for Typer: paragraphs joined into one line each, indented examples kept."""
    blocks = textwrap.dedent(text).strip().split("\n\n")
    out = []
    for block in blocks:
        lines = block.splitlines()
        if all(line.startswith("  ") for line in lines):
            out.append(block)  # examples and lists keep their lines
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)


GROUP_HELP = teach(
    """
    Check apps, Android packages and face-recognition deployments against China's
    personal-information rules: the 2021 Necessary-PI Provisions (39 app types), PIPL, the 2025
    facial-recognition measures, the Supreme People's Court 2021 provisions and local rules
    (Hangzhou, Tianjin, Nanjing, Kunming).

    Every finding names the check that found it, where (file and line), and the articles it
    rests on, each with its certainty: verified-from-source, verified-secondary or recalled.
    English renderings are working translations; this is not legal advice.

    Exit status: 0 compliant (notes allowed), 1 findings (errors or warnings), 2 bad input
    (unreadable, malformed or unknown types and items) or bad usage.

    Examples:

      veil check types                        # the 39 app types, their scope

      veil check items                        # names an inventory may use

      veil check app docs/examples/app-shop.yaml

      veil check apk music.apk --type 28

      veil check deployment docs/examples/veil-gate.yaml

      veil check app app.yaml -f sarif -o veil.sarif   # CI code scanning

    Guide: docs/check.md.
    """
)


APP_HELP = teach(
    """
    Check an app inventory (YAML or JSON) against the necessary-PI scope of its type.

    The inventory names the app, its type (number 1-39, Chinese name such as 网上购物类, or
    English name such as "Online shopping"), its functions with the basic ones marked
    basic: true, and per function the items collected, each with purpose, refusable and
    separate_consent. An optional top-level collected: list names everything the app collects
    (from its privacy policy or SDK list). Items are named by key, English or Chinese name or
    alias (veil check items lists them).

    Findings:

      APP-001 error    non-necessary item the basic function cannot do without
      APP-002 warning  biometric item, but the type's scope has none
      APP-003 error    sensitive item without separate consent
      APP-004 error    collected item that no function explains
      APP-005 warning  item collected with no stated purpose

    An item counts as demanded unless refusable: true. Unknown types, items and fields are
    errors (exit 2), never ignored.

    Examples:

      veil check app docs/examples/app-maps.yaml     # compliant: exit 0

      veil check app docs/examples/app-shop.yaml     # greedy: exit 1

      veil check app app.json --format html -o app-report.html

      veil check app app.yaml -f sarif -o veil.sarif # code scanning
    """
)


APK_HELP = teach(
    """
    Read an Android package's manifest with androguard, map its permissions and hardware
    features (camera, biometric, location, contacts, SMS, microphone, phone state ...) to
    personal-information items, and compare them with the necessary scope of --type.

    Below targetSdkVersion 23 every permission is granted at install, so the user cannot refuse
    it and keep the app: access beyond the scope is an error (VEIL-APK-001). Runtime
    permissions can be denied, so access beyond the scope is a warning that the basic function
    must keep working without them (VEIL-APK-002). Biometric permissions or features for a type
    whose scope has no biometrics are warnings (VEIL-APK-003); a required hardware feature
    beyond the scope is a note (VEIL-APK-004). A package Android would refuse (not a ZIP, no
    or broken AndroidManifest.xml, an entry failing its CRC check, repeated entry names) is
    bad input: exit 2.

    Examples:

      veil check apk jamendo.apk --type 28    # online audio and video

      veil check apk maps.apk --type 地图导航类 --json

      veil check apk bank.apk -t "Mobile banking" -f sarif -o apk.sarif
    """
)


DEPLOYMENT_HELP = teach(
    """
    Check a face-recognition deployment (sales office camera, residential access gate, shop,
    office attendance, hotel, school, transport ...) against the 2025 facial-recognition
    measures, PIPL, the SPC provisions and the local rules of its city.

    The file holds one of two top-level keys. deployment: describes any site, every obligation
    stated explicitly; anything not declared counts as unmet (fail closed). veil_gate: is the
    configuration of a site that runs veil gate: Veil fills in what its gate guarantees
    (separate, withdrawable per-purpose consent; templates encrypted and crypto-shredded on
    withdrawal; faces of everyone else redacted and forgotten; ledger records), so Veil checks
    itself: a gate run with --mode none, or with a --match-threshold looser than the one Veil
    measured, fails.

    Checked: separate consent and withdrawal, notice and published rules, signage in public
    places, use beyond public security, an alternative to face recognition, storage in the
    device, retention, deletion on withdrawal, impact assessment, records kept 3 years, filing
    at 100,000 people, minors under 14, private spaces, anonymization of people who did not
    consent, coercion, security measures, a specific purpose; in Hangzhou, Tianjin, Nanjing
    and Kunming their local rules.

    Examples:

      veil check deployment docs/examples/deployment-sales-office.yaml

      veil check deployment docs/examples/deployment-residential-gate.yaml

      veil check deployment docs/examples/veil-gate.yaml -f html -o g.html
    """
)


TYPES_HELP = teach(
    """
    List the 39 app types of the Necessary-PI Provisions (Art. 5) with their basic function
    service, their necessary items (13 types need none) and the certainty of each entry. Use
    the number, the Chinese or the English name as an inventory's type or as --type.

    Examples:

      veil check types

      veil check types --json | jq '.[] | select(.necessary_items == [])'

    """
)


ITEMS_HELP = teach(
    """
    List the personal-information items an inventory may name: key, category, SENSITIVE for
    sensitive information (PIPL Art. 28: biometrics, whereabouts, financial accounts, health
    ...), English and Chinese names and aliases. Matching ignores case, spaces, hyphens and
    underscores.

    Examples:

      veil check items

      veil check items --json
    """
)
