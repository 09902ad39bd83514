"""Several cameras from one YAML file.

```yaml
record: /srv/veil/recordings   # each camera records into a subfolder named after it
segment_seconds: 60
serve: 0.0.0.0:8080            # /metrics, /health, previews, HLS
cameras:
  - name: lobby
    source: rtsp://user:secret@10.0.0.5:554/stream1
    transport: tcp             # or udp
    restream: hls              # or rtsp://..., udp://... to push to
  - name: desk
    source: /dev/video0
    audio: false
```
Command-line options fill what the file leaves out; a camera's own keys win over the file's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from veil.errors import ConfigError

NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


class CameraEntry(BaseModel):
    """One camera of the file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    source: str = Field(min_length=1)
    transport: Literal["tcp", "udp"] = "tcp"
    record: Path | None = None
    segment_seconds: float | None = Field(default=None, gt=0)
    restream: str | None = None
    audio: bool = True
    preview: bool = True
    loop: bool = False
    timeout: float = Field(default=5.0, gt=0)


class StreamFile(BaseModel):
    """The whole file: shared settings and the cameras."""

    model_config = ConfigDict(extra="forbid")

    record: Path | None = None
    segment_seconds: float | None = Field(default=None, gt=0)
    serve: str | None = None
    cameras: list[CameraEntry] = Field(min_length=1)

    @field_validator("cameras")
    @classmethod
    def _unique(cls, cameras: list[CameraEntry]) -> list[CameraEntry]:
        names = [c.name for c in cameras]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"camera names repeat: {', '.join(repeated)}")
        return cameras


def load_stream_file(path: Path) -> StreamFile:
    """Read and check a cameras file (:class:`ConfigError` names the problem)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'cameras' list")
    try:
        return StreamFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
