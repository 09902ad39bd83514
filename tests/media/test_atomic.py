from __future__ import annotations

from pathlib import Path

import pytest

from veil.errors import MediaError
from veil.media.atomic import atomic_output


def test_output_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.mp4"
    with atomic_output(target) as temporary:
        assert temporary.parent == target.parent and temporary.suffix == ".mp4"
        assert temporary.name.startswith(".")
        temporary.write_bytes(b"data")
        assert not target.exists()
    assert target.read_bytes() == b"data"
    assert list(target.parent.iterdir()) == [target]


def test_failure_leaves_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.jpg"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target, overwrite=True) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("encoder crashed")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_refuses_to_overwrite_without_permission(tmp_path: Path) -> None:
    target = tmp_path / "out.jpg"
    target.write_bytes(b"old")
    with pytest.raises(MediaError, match="--overwrite"), atomic_output(target):
        pass


@pytest.mark.parametrize("where", ["file", "proc-file", "proc"])
def test_an_unwritable_folder_is_a_media_error(tmp_path: Path, where: str) -> None:
    regular = tmp_path / "notes.txt"
    regular.write_text("a file, not a folder")
    target = {
        "file": regular / "out" / "x.png",  # fails even for root, unlike chmod 0500
        "proc-file": Path("/proc/version/out/x.png"),
        "proc": Path("/proc/veil-test-x.png"),  # the folder exists; nothing can be created in it
    }[where]
    with pytest.raises(MediaError, match="cannot write output") as info, atomic_output(target):
        pytest.fail("the block must not run")
    assert str(target) in str(info.value) and "\n" not in str(info.value)
    assert regular.read_text() == "a file, not a folder"
