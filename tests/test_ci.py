import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_installs_chromium_before_running_the_tests():
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    install = next(i for i, line in enumerate(lines) if "apt-get install" in line)
    tests = next(i for i, line in enumerate(lines) if line.startswith("python3 -m venv"))
    assert install < tests
    assert re.search(r"apt-get install -y -qq chromium chromium-driver", lines[install])
    assert any("/usr/bin/chromium" in line for line in lines[:install])  # only when missing


def test_browser_marker_is_registered():
    assert "browser:" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_ci_gives_the_tests_a_postgresql_database():
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    url = next(i for i, line in enumerate(lines) if line.startswith("export MIFI_TEST_POSTGRES_URL="))
    tests = next(i for i, line in enumerate(lines) if line.startswith("python3 -m venv"))
    assert url < tests
    assert any("apt-get install -y -qq postgresql" in line for line in lines)
