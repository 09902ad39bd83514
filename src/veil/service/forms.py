"""HTML form bodies without extra dependencies: ``application/x-www-form-urlencoded`` and
``multipart/form-data`` (file uploads, parsed with the standard library's MIME parser)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qs

from fastapi import Request


@dataclass(frozen=True)
class Upload:
    """One uploaded file of a form."""

    filename: str
    data: bytes


@dataclass
class Form:
    """The fields of a form (the last value of each name) and its files."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        """The field ``name`` stripped of surrounding space, or ``default``."""
        return self.fields.get(name, default).strip()


def parse_form(content_type: str, body: bytes) -> Form:
    """The form in ``body``; any other content type is an empty form."""
    form = Form()
    if content_type.startswith("application/x-www-form-urlencoded"):
        for key, values in parse_qs(body.decode("utf-8", "replace")).items():
            form.fields[key] = values[-1]
    elif content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts() if message.is_multipart() else ():
            raw = part.get_param("name", header="content-disposition")
            if not isinstance(raw, str):
                continue
            name = raw
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                form.files[name] = Upload(filename, data)
            else:
                form.fields[name] = data.decode(part.get_content_charset() or "utf-8", "replace")
    return form


async def read_form(request: Request) -> Form:
    """The request's form (its body is read once and cached by Starlette)."""
    return parse_form(request.headers.get("content-type", ""), await request.body())
