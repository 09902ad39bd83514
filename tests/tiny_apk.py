"""A tiny Android package made in the test: a binary-XML (AXML) AndroidManifest.xml in a ZIP.

Enough for `veil check apk` to read a package, its SDK levels and its permissions without the
real APKs of ../shared/data.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

ANDROID = "http://schemas.android.com/apk/res/android"
# resource ids of the android: attributes used below (frameworks/base public.xml)
_ATTR_IDS = {
    "name": 0x01010003,
    "versionCode": 0x0101021B,
    "versionName": 0x0101021C,
    "minSdkVersion": 0x0101020C,
    "targetSdkVersion": 0x01010270,
}
_STRING, _INT = 0x03, 0x10


def _chunk(kind: int, header: bytes, body: bytes = b"") -> bytes:
    return struct.pack("<HHI", kind, 8 + len(header), 8 + len(header) + len(body)) + header + body


def _string_pool(strings: list[str]) -> bytes:
    data = b""
    offsets = []
    for s in strings:
        offsets.append(len(data))
        data += struct.pack("<H", len(s)) + s.encode("utf-16-le") + b"\0\0"
    data += b"\0" * (-len(data) % 4)
    start = 28 + 4 * len(strings)
    header = struct.pack("<IIIII", len(strings), 0, 0, start, 0)
    return _chunk(0x0001, header, struct.pack(f"<{len(strings)}I", *offsets) + data)


def manifest_axml(package: str, permissions: list[str], target_sdk: int = 30) -> bytes:
    """Binary XML of a manifest with uses-sdk, uses-permission elements and an application."""
    attrs = list(_ATTR_IDS)  # attribute names first, so the resource map covers them
    strings = [*attrs, "android", ANDROID, "manifest", "package", "uses-sdk"]
    strings += ["uses-permission", "application", package, "1.0", *permissions]
    index = {s: i for i, s in enumerate(strings)}
    nsi = index[ANDROID]

    def attr(name: str, value: str | int, ns: bool = True) -> bytes:
        if isinstance(value, int):
            raw, kind, data = 0xFFFFFFFF, _INT, value
        else:
            raw, kind, data = index[value], _STRING, index[value]
        return struct.pack(
            "<IIIHBBI", nsi if ns else 0xFFFFFFFF, index[name], raw, 8, 0, kind, data
        )

    def start(name: str, attributes: list[bytes]) -> bytes:
        body = struct.pack("<IIHHHHHH", 0xFFFFFFFF, index[name], 20, 20, len(attributes), 0, 0, 0)
        return _chunk(0x0102, struct.pack("<II", 1, 0xFFFFFFFF), body + b"".join(attributes))

    def end(name: str) -> bytes:
        return _chunk(
            0x0103, struct.pack("<II", 1, 0xFFFFFFFF), struct.pack("<II", 0xFFFFFFFF, index[name])
        )

    namespace = struct.pack("<II", index["android"], nsi)
    line = struct.pack("<II", 1, 0xFFFFFFFF)
    body = _string_pool(strings)
    body += _chunk(0x0180, b"", struct.pack(f"<{len(attrs)}I", *_ATTR_IDS.values()))
    body += _chunk(0x0100, line, namespace)
    body += start("manifest", [attr("versionCode", 1), attr("versionName", "1.0"),
                               attr("package", package, ns=False)])  # fmt: skip
    body += start("uses-sdk", [attr("minSdkVersion", 21), attr("targetSdkVersion", target_sdk)])
    body += end("uses-sdk")
    for permission in permissions:
        body += start("uses-permission", [attr("name", permission)]) + end("uses-permission")
    body += start("application", []) + end("application") + end("manifest")
    body += _chunk(0x0101, line, namespace)
    return _chunk(0x0003, b"", body)


def write_tiny_apk(path: Path, permissions: list[str], package: str = "org.example.tiny") -> Path:
    """Write an APK whose manifest asks for ``permissions`` (e.g. android.permission.CAMERA)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("AndroidManifest.xml", manifest_axml(package, permissions))
        archive.writestr("classes.dex", b"dex\n035\0")
    return path
