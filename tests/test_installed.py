"""The guard that keeps the tests on the working tree (tests/installed.py)."""

from __future__ import annotations

import shutil

from tests.installed import ROOT, stale_files


def test_an_editable_install_is_the_working_tree():
    assert stale_files(ROOT / "engine") == []


def test_a_stale_installed_copy_is_named_file_by_file(tmp_path):
    installed = tmp_path / "ntmcert"
    shutil.copytree(ROOT / "engine", installed)
    shutil.copytree(ROOT / "rules", installed / "rules")
    assert stale_files(installed) == []
    pack = installed / "rules" / "vn" / "ntm-2021-2025" / "pack.yaml"
    pack.write_bytes(pack.read_bytes() + b"\n# edited\n")
    (installed / "core" / "exact.py").unlink()
    assert stale_files(installed) == ["engine/core/exact.py", "rules/vn/ntm-2021-2025/pack.yaml"]
