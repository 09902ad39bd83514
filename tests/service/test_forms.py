"""Form bodies: URL-encoded fields, and multipart fields and files byte for byte."""

from __future__ import annotations

from veil.service.forms import parse_form


def test_urlencoded_fields_keep_the_last_value_and_decode_utf8() -> None:
    form = parse_form("application/x-www-form-urlencoded", b"a=1&a=2&name=%E7%8E%8B+%E8%8A%B3")
    assert form.fields == {"a": "2", "name": "王 芳"} and form.files == {}


def test_multipart_files_are_exact_bytes_and_fields_are_text() -> None:
    data = b"PK\x03\x04\r\n--not-the-boundary\r\n\x00\xff"
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\ntok\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="shop.apk"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--XyZ--\r\n"
    )
    form = parse_form("multipart/form-data; boundary=XyZ", body)
    assert form.get("csrf_token") == "tok"
    assert form.files["file"].filename == "shop.apk" and form.files["file"].data == data


def test_any_other_body_is_an_empty_form() -> None:
    form = parse_form("application/json", b'{"csrf_token": "x"}')
    assert form.fields == {} and form.files == {}
