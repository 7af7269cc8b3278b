import pytest
from django.core.exceptions import ImproperlyConfigured

from ombuds.env import envbool, envint, envlist, envstr


def test_booleans_accept_the_usual_words_and_refuse_others(monkeypatch):
    for word, value in [
        ("1", True),
        ("yes", True),
        ("ON", True),
        ("0", False),
        ("off", False),
        ("", False),
    ]:
        monkeypatch.setenv("X_FLAG", word)
        assert envbool("X_FLAG", default=not value) is value
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be one of"):
        envbool("X_FLAG", default=False)


def test_integers_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    assert envint("X_INT", 1) == 12
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_INT must be a whole number"):
        envint("X_INT", 1)


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert envstr("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="X_SECRET_FILE: cannot read"):
        envstr("X_SECRET")


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("X_HOSTS", "a.example, b.example,,")
    assert envlist("X_HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.delenv("X_HOSTS")
    assert envlist("X_HOSTS", ["default"]) == ["default"]


def test_a_bad_database_url_stops_the_process_with_its_name(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "ombuds.settings",
            "DATABASE_URL": "nosuchdb://x",
            "OMBUDS_DATA_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DATABASE_URL cannot be read" in result.stderr


@pytest.mark.parametrize(
    ("threshold", "options"),
    [
        (None, {"server_side_binding": True, "prepare_threshold": 5}),
        ("2", {"server_side_binding": True, "prepare_threshold": 2}),
        ("0", {}),  # behind a pooler that does not keep prepared statements
    ],
)
def test_postgresql_statements_are_prepared_unless_turned_off(tmp_path, threshold, options):
    import json
    import subprocess
    import sys

    env = {
        "DJANGO_SETTINGS_MODULE": "ombuds.settings",
        "DATABASE_URL": "postgres://ombuds@db.invalid:5432/ombuds",
        "OMBUDS_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    if threshold is not None:
        env["DB_PREPARE_THRESHOLD"] = threshold
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == options
