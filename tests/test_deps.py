import json
import shutil
from pathlib import Path
from types import SimpleNamespace

from app.config import Settings
from app.deps import shared_coder

SHIPPED = Path(__file__).resolve().parent.parent / "classifiers" / "models"


def test_each_worker_picks_up_a_model_promoted_elsewhere(tmp_path, monkeypatch):
    monkeypatch.delenv("MIFI_MODEL", raising=False)
    state = SimpleNamespace(settings=Settings(database_url="sqlite://", model_dir=tmp_path), coder=None)
    first = shared_coder(state)
    assert shared_coder(state) is first  # loaded once, then reused
    version = tmp_path / "v2"
    version.mkdir()
    for name in ("mifi-model.npz", "mifi-model.json"):
        shutil.copy2(SHIPPED / name, version / name)
    (tmp_path / "active.json").write_text(json.dumps({"path": "v2/mifi-model.npz"}), encoding="utf-8")
    second = shared_coder(state)  # another process promoted v2: this one follows
    assert second is not first and state.coder_path == (version / "mifi-model.npz").resolve()
    assert shared_coder(state) is second


def test_a_coder_given_to_the_app_is_kept(tmp_path):
    given = object()
    state = SimpleNamespace(settings=Settings(database_url="sqlite://", model_dir=tmp_path), coder=given)
    assert shared_coder(state) is given
