"""Android packages: manifest permissions and features -> PI items -> the type's necessary scope.

androguard reads the binary manifest (its loguru logging is silenced); :func:`check_manifest`
is the pure part, so the mapping is testable without any APK file.

Below targetSdkVersion 23 every permission is granted at install time, so the user cannot
refuse it and keep the app: access beyond the necessary scope is then an error (Necessary-PI
Provisions Art. 4). Runtime permissions can be denied; access beyond scope is a warning that the
app must keep its basic function working when they are.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from veil.rules.models import CheckInputError, Finding, Location, Observation, Report
from veil.rules.ruledata import AppType, make_finding, rule_data
from veil.rules.taxonomy import is_biometric

APK_CHECKS = ("VEIL-APK-001", "VEIL-APK-002", "VEIL-APK-003", "VEIL-APK-004")
RUNTIME_PERMISSIONS_SDK = 23
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"


@dataclass(frozen=True)
class ApkFeature:
    """A ``<uses-feature>`` entry."""

    name: str
    required: bool = True


@dataclass(frozen=True)
class ApkManifest:
    """What the checks need from an APK's AndroidManifest.xml."""

    package: str
    app_name: str | None = None
    version_name: str | None = None
    min_sdk: int | None = None
    target_sdk: int = 1
    permissions: tuple[str, ...] = ()
    features: tuple[ApkFeature, ...] = ()

    @property
    def runtime_permissions(self) -> bool:
        """True when dangerous permissions are asked at run time (target SDK 23 or later)."""
        return self.target_sdk >= RUNTIME_PERMISSIONS_SDK


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _check_archive(path: Path) -> None:
    """Fail closed on a package Android would refuse: no manifest, repeated entry names (two
    manifests, one for the scanner and one for the phone), or any entry failing its CRC."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "AndroidManifest.xml" not in names:
                raise CheckInputError(f"APK {path} has no AndroidManifest.xml")
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise CheckInputError(
                    f"APK {path} is ambiguous: entries repeated ({', '.join(repeated[:3])})"
                )
            bad = archive.testzip()
            if bad is not None:
                raise CheckInputError(f"APK {path} is corrupt: {bad} fails its CRC check")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise CheckInputError(f"APK {path} is corrupt: {reason}") from exc


def read_manifest(path: Path) -> ApkManifest:
    """Read an APK's manifest with androguard; :class:`CheckInputError` when it is broken."""
    if not path.is_file():
        raise CheckInputError(f"APK {path} does not exist or is not a file")
    if not zipfile.is_zipfile(path):
        raise CheckInputError(f"APK {path} is not an Android package (not a ZIP archive)")
    _check_archive(path)

    from loguru import logger

    logger.disable("androguard")
    from androguard.core.apk import APK

    try:
        apk = APK(str(path))
        if not apk.is_valid_APK() or not apk.get_package():
            raise CheckInputError(f"APK {path} has a broken AndroidManifest.xml (not binary XML)")
        manifest = apk.get_android_manifest_xml()
        features = []
        for element in manifest.findall("uses-feature"):
            name = element.get(ANDROID_NS + "name")
            if name:
                required = str(element.get(ANDROID_NS + "required", "true")).lower() != "false"
                features.append(ApkFeature(name=str(name), required=required))
        target = _int(apk.get_effective_target_sdk_version()) or 1
        return ApkManifest(
            package=str(apk.get_package()),
            app_name=_text(apk.get_app_name),
            version_name=_text(apk.get_androidversion_name),
            min_sdk=_int(apk.get_min_sdk_version()),
            target_sdk=target,
            permissions=tuple(sorted(set(map(str, apk.get_permissions())))),
            features=tuple(sorted(set(features), key=lambda f: f.name)),
        )
    except CheckInputError:
        raise
    except Exception as exc:  # androguard raises many types on corrupt input
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise CheckInputError(f"APK {path} cannot be parsed: {reason}") from exc


def _text(getter: object) -> str | None:
    try:
        value = getter()  # type: ignore[operator]
    except Exception:  # a missing label resource is not fatal
        return None
    return str(value) if value else None


def _short(permission: str) -> str:
    return permission.removeprefix("android.permission.")


def check_manifest(manifest: ApkManifest, app_type: AppType, target: str) -> Report:
    """Compare the personal information an APK can reach with its type's necessary scope."""
    data = rule_data()
    necessary = app_type.necessary_items
    scope_has_biometric = any(is_biometric(data.items[k]) for k in necessary)
    type_cite = (data.type_citation(app_type),)
    location = Location(path=target)
    findings: list[Finding] = []
    reach: dict[str, list[str]] = {}

    for permission in manifest.permissions:
        mapping = data.android.permissions.get(permission)
        if mapping is None:
            continue
        for key in mapping.items:
            reach.setdefault(key, []).append(_short(permission))
        beyond = [data.items[k] for k in mapping.items if k not in necessary]
        biometric = [i for i in beyond if is_biometric(i)]
        other = [i for i in beyond if not is_biometric(i)]
        if biometric and not scope_has_biometric:
            names = ", ".join(f"{i.key} ({i.en})" for i in biometric)
            findings.append(
                make_finding(
                    "VEIL-APK-003",
                    f"{permission} makes people present biometrics ({names}); "
                    f"{app_type.label} needs none: keep it optional, with separate consent",
                    location,
                    permission,
                    type_cite,
                )
            )
        if other:
            names = ", ".join(f"{i.key} ({i.en})" for i in other)
            if mapping.dangerous and manifest.runtime_permissions:
                findings.append(
                    make_finding(
                        "VEIL-APK-002",
                        f"{permission} reaches {names}, outside the necessary scope of "
                        f"{app_type.label}; the basic function must keep working when the user "
                        "denies it",
                        location,
                        permission,
                        type_cite,
                    )
                )
            else:
                why = (
                    f"targetSdkVersion {manifest.target_sdk} < {RUNTIME_PERMISSIONS_SDK}"
                    if mapping.dangerous
                    else "a permission granted at install"
                )
                findings.append(
                    make_finding(
                        "VEIL-APK-001",
                        f"{permission} reaches {names}, outside the necessary scope of "
                        f"{app_type.label}, and is granted at install ({why}): the user cannot "
                        "refuse it and still use the app",
                        location,
                        permission,
                        type_cite,
                    )
                )

    for feature in manifest.features:
        keys = data.android.features.get(feature.name, ())
        for key in keys:
            reach.setdefault(key, []).append(f"feature {feature.name}")
        beyond = [data.items[k] for k in keys if k not in necessary]
        if not beyond or not feature.required:
            continue
        names = ", ".join(f"{i.key} ({i.en})" for i in beyond)
        if any(is_biometric(i) for i in beyond) and not scope_has_biometric:
            check_id = "VEIL-APK-003"
            message = (
                f"the app requires the biometric hardware feature {feature.name} ({names}); "
                f"{app_type.label} needs no biometric information"
            )
        else:
            check_id = "VEIL-APK-004"
            message = (
                f"the app requires the hardware feature {feature.name} ({names}), outside the "
                f'necessary scope of {app_type.label}; declare it android:required="false" '
                "if the basic function works without it"
            )
        findings.append(make_finding(check_id, message, location, feature.name, type_cite))

    return Report(
        kind="apk",
        target=target,
        subject=manifest.app_name or manifest.package,
        context=f"{app_type.label}; basic function: {app_type.basic_function.en}",
        observations=_observations(manifest, app_type, reach),
        findings=tuple(findings),
        checks_run=APK_CHECKS,
    )


def _observations(
    manifest: ApkManifest, app_type: AppType, reach: dict[str, list[str]]
) -> tuple[Observation, ...]:
    necessary = app_type.necessary_items
    rows = [
        Observation(label="package", detail=manifest.package),
        Observation(
            label="SDK",
            detail=f"min {manifest.min_sdk or '?'}, target {manifest.target_sdk} "
            f"({'runtime' if manifest.runtime_permissions else 'install-time'} permissions)",
        ),
        Observation(
            label="permissions",
            detail=", ".join(_short(p) for p in manifest.permissions) or "none",
        ),
    ]
    if manifest.features:
        rows.append(
            Observation(
                label="features",
                detail=", ".join(
                    f.name + ("" if f.required else " (optional)") for f in manifest.features
                ),
            )
        )
    scope = ", ".join(sorted(necessary)) or "none (no personal information needed)"
    rows.append(Observation(label="necessary scope", detail=scope))
    for key in sorted(reach):
        status = "in scope" if key in necessary else "beyond scope"
        evidence = ", ".join(dict.fromkeys(reach[key]))
        rows.append(Observation(label=f"reaches {key}", detail=f"{status}; via {evidence}"))
    return tuple(rows)


def check_apk(path: Path, app_type: AppType) -> Report:
    """Read an APK and check it against ``app_type`` (``veil check apk``)."""
    return check_manifest(read_manifest(path), app_type, str(path))
