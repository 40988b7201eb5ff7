"""A full disk or a folder that cannot be written, during an export, a checkpoint or a map: a clear error,
no partial file left, and what was there before kept as it was. The full disk is the real one of /dev/full
where a device will do, otherwise a write that stops half-way with ENOSPC, as a filling disk stops it."""

import errno
import os
from pathlib import Path

import pytest

import directory.hsds_export
from directory.hsds_export import ExportError, export_hsds
from geo import build_geocoder
from referrals.audit_checkpoints import PublishError, publish
from tests.builders import small_directory
from tests.conftest import RELAXED_LIMITS


def files_in(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def disk_fills_on_the_third_file(monkeypatch):
    real, written = directory.hsds_export._write_csv, []

    def write(path, columns, rows):
        written.append(path)
        if len(written) == 3:
            Path(path).write_bytes(b"id,name\n1,half a ro")  # what a filling disk leaves
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, columns, rows)

    monkeypatch.setattr(directory.hsds_export, "_write_csv", write)


def test_a_full_disk_during_an_export_leaves_no_partial_file_and_the_old_package_as_it_was(
    session_factory, tmp_path, monkeypatch
):
    small_directory(session_factory)
    out = tmp_path / "hsds"
    with session_factory() as session:
        export_hsds(session, out, geocoder=build_geocoder("outcode"))
    before = files_in(out)
    disk_fills_on_the_third_file(monkeypatch)
    with session_factory() as session, pytest.raises(ExportError, match="No space left on device") as failed:
        export_hsds(session, out, geocoder=build_geocoder("outcode"))
    assert "the partial files were removed" in str(failed.value)
    assert files_in(out) == before


def test_an_export_into_a_folder_that_cannot_be_made_is_a_clear_error(
    database_url, session_factory, tmp_path
):
    from api import create_app

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, **RELAXED_LIMITS})
    try:
        result = app.test_cli_runner().invoke(args=["directory", "export-hsds", str(blocker / "hsds")])
    finally:
        app.extensions["oneroute"].engine.dispose()
    assert result.exit_code == 1
    assert f"cannot create the folder {blocker / 'hsds'}" in result.output
    assert "Traceback" not in result.output


def test_a_checkpoint_on_a_full_disk_is_refused_whole(tmp_path, monkeypatch):
    """Half a line would spoil the file for every reader: the file is cut back to where it ended."""
    destination = tmp_path / "checkpoints.jsonl"
    publish('{"seq": 1}', str(destination))
    real_write = os.write

    def half(descriptor, data):
        return real_write(descriptor, data[: len(data) // 2])

    monkeypatch.setattr(os, "write", half)
    with pytest.raises(PublishError, match="nothing of it was left in the file"):
        publish('{"seq": 2, "a": "longer line"}', str(destination))
    monkeypatch.undo()
    assert destination.read_text() == '{"seq": 1}\n'
    publish('{"seq": 3}', str(destination))
    assert destination.read_text().splitlines() == ['{"seq": 1}', '{"seq": 3}']


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_checkpoint_to_a_device_that_is_full_says_so():
    with pytest.raises(PublishError, match="No space left on device"):
        publish('{"seq": 1}', "/dev/full")


def test_a_map_that_cannot_be_written_leaves_nothing_and_says_why(
    database_url, session_factory, tmp_path, monkeypatch
):
    from api import create_app

    small_directory(session_factory)
    old_map = tmp_path / "map.png"
    old_map.write_bytes(b"the old map")
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, **RELAXED_LIMITS})

    def disk_full(self, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "replace", disk_full)
    try:
        result = app.test_cli_runner().invoke(args=["report", "map", str(old_map)])
    finally:
        app.extensions["oneroute"].engine.dispose()
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    assert old_map.read_bytes() == b"the old map"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["map.png"]
