"""`veil check apk`: manifest -> PI items -> scope, on the real APKs and on hand-made manifests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from tests.rules.conftest import shared_path
from veil.rules.apk import ApkFeature, ApkManifest, check_apk, check_manifest, read_manifest
from veil.rules.models import CheckInputError, Level
from veil.rules.taxonomy import resolve_app_type


def _findings(manifest: ApkManifest, type_number: int) -> list[tuple[str, str | None, Level]]:
    report = check_manifest(manifest, resolve_app_type(type_number), "app.apk")
    return [(f.check_id, f.subject, f.level) for f in report.findings]


LOCATION = "android.permission.ACCESS_FINE_LOCATION"
CONTACTS = "android.permission.READ_CONTACTS"


def test_in_scope_permission_gives_no_finding() -> None:
    manifest = ApkManifest(package="a.maps", target_sdk=33, permissions=(LOCATION,))
    assert _findings(manifest, 1) == []  # location is necessary for map navigation


def test_runtime_permission_beyond_scope_warns() -> None:
    manifest = ApkManifest(package="a.maps", target_sdk=33, permissions=(LOCATION, CONTACTS))
    assert _findings(manifest, 1) == [("VEIL-APK-002", CONTACTS, Level.WARNING)]


def test_install_time_permission_beyond_scope_is_an_error() -> None:
    manifest = ApkManifest(package="a.old", target_sdk=22, permissions=(LOCATION, CONTACTS))
    assert _findings(manifest, 1) == [("VEIL-APK-001", CONTACTS, Level.ERROR)]
    # the same location permission is beyond scope for a news app
    assert ("VEIL-APK-001", LOCATION, Level.ERROR) in _findings(manifest, 30)


def test_normal_permission_granting_pi_is_install_time() -> None:
    manifest = ApkManifest(
        package="a.b", target_sdk=34, permissions=("android.permission.QUERY_ALL_PACKAGES",)
    )
    assert _findings(manifest, 32) == [
        ("VEIL-APK-001", "android.permission.QUERY_ALL_PACKAGES", Level.ERROR)
    ]


def test_biometric_permission_and_features() -> None:
    manifest = ApkManifest(
        package="a.bank",
        target_sdk=34,
        permissions=("android.permission.USE_BIOMETRIC", "android.permission.INTERNET"),
        features=(
            ApkFeature("android.hardware.fingerprint", required=True),
            ApkFeature("android.hardware.camera", required=False),
            ApkFeature("android.hardware.microphone", required=True),
            ApkFeature("android.hardware.wifi", required=True),
        ),
    )
    assert _findings(manifest, 24) == [
        ("VEIL-APK-003", "android.permission.USE_BIOMETRIC", Level.WARNING),
        ("VEIL-APK-003", "android.hardware.fingerprint", Level.WARNING),
        ("VEIL-APK-004", "android.hardware.microphone", Level.NOTE),
    ]


def test_note_only_report_is_compliant() -> None:
    manifest = ApkManifest(
        package="a.b", target_sdk=34, features=(ApkFeature("android.hardware.camera"),)
    )
    report = check_manifest(manifest, resolve_app_type(36), "a.apk")
    assert [f.level for f in report.findings] == [Level.NOTE]
    assert report.compliant and report.exit_code == 0


def test_unmapped_permissions_are_ignored_but_listed() -> None:
    manifest = ApkManifest(
        package="a.b", target_sdk=34, permissions=("android.permission.INTERNET", "com.x.CUSTOM")
    )
    report = check_manifest(manifest, resolve_app_type(38), "a.apk")
    assert report.findings == ()
    assert any("INTERNET" in o.detail for o in report.observations)


# --- real packages (../shared/data/apks) ---------------------------------------------------


def test_jamendo_music_player_as_online_audio_video() -> None:
    apk = shared_path("apks", "com.teleca.jamendo_35.apk")
    report = check_apk(apk, resolve_app_type(28))
    assert [(f.check_id, f.subject) for f in report.findings] == [
        ("VEIL-APK-001", "android.permission.READ_PHONE_STATE"),
        ("VEIL-APK-001", "android.permission.WRITE_EXTERNAL_STORAGE"),
    ]
    assert report.subject == "Jamendo" and report.exit_code == 1


def test_politedroid_calendar_tool() -> None:
    apk = shared_path("apks", "com.politedroid_4.apk")
    manifest = read_manifest(apk)
    assert manifest.package == "com.politedroid"
    assert manifest.permissions == (
        "android.permission.READ_CALENDAR",
        "android.permission.RECEIVE_BOOT_COMPLETED",
    )
    report = check_apk(apk, resolve_app_type(38))
    assert [(f.check_id, f.subject) for f in report.findings] == [
        ("VEIL-APK-001", "android.permission.READ_CALENDAR")
    ]


def test_abcore_runtime_permissions() -> None:
    report = check_apk(shared_path("apks", "app-prod-debug.apk"), resolve_app_type(5))
    assert [(f.check_id, f.level) for f in report.findings] == [("VEIL-APK-002", Level.WARNING)]


def test_duplicate_permissions_are_counted_once() -> None:
    manifest = read_manifest(shared_path("apks", "duplicate.permisssions_9999999.apk"))
    assert len(manifest.permissions) == len(set(manifest.permissions)) == 5
    report = check_apk(
        shared_path("apks", "duplicate.permisssions_9999999.apk"), resolve_app_type(30)
    )
    assert [f.subject for f in report.findings] == ["android.permission.WRITE_EXTERNAL_STORAGE"]


def test_apks_without_pi_permissions_are_compliant() -> None:
    for name in ("TestActivity.apk", "Invalid.apk"):
        # Invalid.apk is named after its package, re.androguard.android.invalid, and is not
        # broken: every entry passes its CRC, its v1 signature verifies, its binary manifest
        # parses (target SDK 15, no permissions) and androguard's own tests read it. Checking it
        # is a real result, not an error; the broken packages below are made from real ones.
        report = check_apk(shared_path("apks", name), resolve_app_type(30))
        assert report.findings == () and report.compliant
        assert report.exit_code == 0


def _corrupt_entry(source: Path, target: Path, entry: str) -> Path:
    """Copy ``source`` with one byte of ``entry``'s stored data flipped."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo(entry)
    name_len = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize("entry", ["AndroidManifest.xml", "classes.dex", "resources.arsc"])
def test_real_apk_with_a_corrupted_entry_is_bad_input(tmp_path: Path, entry: str) -> None:
    """A flipped byte anywhere (not only in the manifest) makes a package Android refuses."""
    source = shared_path("apks", "Invalid.apk")
    broken = _corrupt_entry(source, tmp_path / "corrupt.apk", entry)
    with pytest.raises(CheckInputError, match=f"corrupt: {entry} fails its CRC check") as info:
        check_apk(broken, resolve_app_type(30))
    assert info.value.exit_code == 2


def test_apk_with_two_manifests_is_bad_input(tmp_path: Path) -> None:
    """Repeated entries let a scanner and a phone read different manifests: refuse them."""
    path = tmp_path / "twice.apk"
    manifest = zipfile.ZipFile(shared_path("apks", "com.politedroid_4.apk")).read(
        "AndroidManifest.xml"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate
        _zip(path, {"AndroidManifest.xml": manifest})
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00")
    with pytest.raises(CheckInputError, match="ambiguous: entries repeated") as info:
        read_manifest(path)
    assert info.value.exit_code == 2


def test_truncated_real_apk_is_bad_input(tmp_path: Path) -> None:
    source = shared_path("apks", "com.politedroid_4.apk").read_bytes()
    broken = tmp_path / "truncated.apk"
    broken.write_bytes(source[: len(source) // 2])
    with pytest.raises(CheckInputError, match="not an Android package") as info:
        check_apk(broken, resolve_app_type(38))
    assert info.value.exit_code == 2


# --- broken packages made here -------------------------------------------------------------


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"not a zip at all"), "not an Android package"),
        (lambda p: p.write_bytes(b""), "not an Android package"),
        (lambda p: _zip(p, {"classes.dex": b"dex\n035\x00"}), "no AndroidManifest.xml"),
        (lambda p: _zip(p, {"AndroidManifest.xml": b"\x03\x00\x08\x00junk"}), "broken"),
        (lambda p: _zip(p, {"AndroidManifest.xml": b"<manifest package='a'/>"}), "broken"),
    ],
)
def test_broken_packages(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "broken.apk"
    make(path)  # type: ignore[operator]
    with pytest.raises(CheckInputError, match=message) as info:
        read_manifest(path)
    assert info.value.exit_code == 2


def test_missing_apk(tmp_path: Path) -> None:
    with pytest.raises(CheckInputError, match="does not exist"):
        read_manifest(tmp_path / "nope.apk")


def test_cli_broken_apk_one_line_exit_2_and_no_androguard_logging(tmp_path: Path) -> None:
    broken = _zip(tmp_path / "b.apk", {"AndroidManifest.xml": b"\x03\x00\x08\x00junk"})
    done = subprocess.run(
        [sys.executable, "-m", "veil.cli.main", "check", "apk", str(broken), "--type", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith("veil: error: APK")


def test_cli_real_apk_quiet(tmp_path: Path) -> None:
    apk = shared_path("apks", "com.politedroid_4.apk")
    copy = tmp_path / "polite.apk"
    shutil.copy(apk, copy)
    done = subprocess.run(
        [sys.executable, "-m", "veil.cli.main", "check", "apk", str(copy), "-t", "实用工具类"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == ""  # androguard's loguru output is silenced
    assert "VEIL-APK-001" in done.stdout and "READ_CALENDAR" in done.stdout


def test_a_package_made_in_the_test_is_checked(tmp_path: Path) -> None:
    """The tiny APK the offline test uses is a package androguard reads like a real one."""
    from tests.tiny_apk import write_tiny_apk

    apk = write_tiny_apk(tmp_path / "tiny.apk", ["android.permission.CAMERA"])
    manifest = read_manifest(apk)
    assert manifest.package == "org.example.tiny" and manifest.target_sdk == 30
    assert manifest.permissions == ("android.permission.CAMERA",)
    report = check_apk(apk, resolve_app_type(38))
    assert [(f.check_id, f.subject) for f in report.findings] == [
        ("VEIL-APK-002", "android.permission.CAMERA")
    ]
