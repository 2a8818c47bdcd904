"""The `langviet` command: migrate, demo (twice), create-admin, on a fresh SQLite file."""
import sqlite3
from pathlib import Path

import pytest

from tourism import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ini(tmp_path):
    text = (ROOT / "testing.ini").read_text()
    text = text.replace("sqlite:///%(here)s/var/test.sqlite", f"sqlite:///{tmp_path}/cli.sqlite")
    path = tmp_path / "cli.ini"
    path.write_text(text)
    return str(path)


def test_migrate_demo_twice_and_create_admin(ini, tmp_path, capsys, monkeypatch):
    assert cli.main(["migrate", ini]) == 0
    assert cli.main(["demo", ini]) == 0
    first = capsys.readouterr().out
    assert cli.main(["demo", ini]) == 0
    second = capsys.readouterr().out
    assert "rows created" in first and "(0 rows created" not in first
    assert "(0 rows created, 0 updated, 0 deleted)" in second
    assert cli.main(["worker", ini, "--once"]) == 0

    monkeypatch.setenv("LANGVIET_PASSWORD", "a long admin password")
    assert cli.main(["create-admin", ini, "--email", "admin@example.com"]) == 0
    assert cli.main(["create-admin", ini, "--email", "not-an-email"]) == 2
    assert "valid email" in capsys.readouterr().err
    assert cli.main(["create-staff", ini, "--operator", "htx-che-tan-cuong", "--role", "owner",
                     "--email", "owner@example.com"]) == 0
    assert cli.main(["create-staff", ini, "--operator", "no-such-operator", "--email", "x@example.com"]) == 2
    assert "No operator" in capsys.readouterr().err
    rows = sqlite3.connect(tmp_path / "cli.sqlite").execute(
        "select u.email, u.is_admin, o.slug, u.operator_role from users u left join operators o on o.id = u.operator_id"
        " order by u.id").fetchall()
    assert rows == [("admin@example.com", 1, None, None), ("owner@example.com", 0, "htx-che-tan-cuong", "owner")]
