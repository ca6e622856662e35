import os
import stat

import pytest

from nodes.atomic_file import TEMP_PREFIX, atomic_write_text, remove_stale_temp_files


def test_replaces_content_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a.json"
    atomic_write_text(target, "old\n")
    atomic_write_text(target, "new ✓\n")
    assert target.read_bytes() == "new ✓\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_keeps_the_permissions_the_user_gave_the_file(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("x")
    os.chmod(target, 0o640)
    atomic_write_text(target, "y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_new_files_follow_the_umask_not_mkstemps_0600(tmp_path):
    target = tmp_path / "new.json"
    atomic_write_text(target, "y")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.json"
    atomic_write_text(target, "old")

    class Unencodable(str):
        def encode(self, *_):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write_text(target, Unencodable("new"))
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_target_is_a_folder_raises_and_cleans_up(tmp_path):
    (tmp_path / "a.json").mkdir()
    with pytest.raises(OSError):
        atomic_write_text(tmp_path / "a.json", "x")
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


def test_stale_temporary_files_are_removed(tmp_path):
    stale = tmp_path / f"{TEMP_PREFIX}abc.tmp"
    stale.write_text("half")
    keep = tmp_path / "notes.tmp"
    keep.write_text("mine")
    assert remove_stale_temp_files(tmp_path) == [stale]
    assert keep.exists() and not stale.exists()
