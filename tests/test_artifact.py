import json
import logging

import pytest

from classifiers import artifact
from classifiers.coder import Coder, TurnInput


@pytest.fixture()
def model_copy(tmp_path):
    """A copy of the shipped model and its metadata in a temporary folder."""
    src = artifact.default_model_path()
    dst = tmp_path / src.name
    dst.write_bytes(src.read_bytes())
    dst.with_suffix(".json").write_bytes(src.with_suffix(".json").read_bytes())
    return dst


def test_shipped_model_loads_with_metadata():
    model = artifact.load()
    meta = artifact.read_metadata(artifact.default_model_path())
    assert set(model.pipelines) == {"practitioner", "client"}
    assert meta["format_version"] == artifact.FORMAT_VERSION
    assert meta["training_data"]["dialogues"] >= 40
    assert set(meta["labels"]["client"]) == {"CHANGE", "SUSTAIN", "NEUTRAL"}
    assert model.version == meta["version"]


def _breaks(path, how):
    if how == "missing":
        path.unlink()
    elif how == "metadata missing":
        path.with_suffix(".json").unlink()
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif how == "garbage":
        path.write_bytes(b"not a model at all")
    elif how == "changed, checksum updated":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        meta = json.loads(path.with_suffix(".json").read_text())
        meta["sha256"] = artifact._sha256(path)
        path.with_suffix(".json").write_text(json.dumps(meta))
    elif how in ("old format", "bad metadata"):
        meta = json.loads(path.with_suffix(".json").read_text())
        meta["format_version"] = 1
        path.with_suffix(".json").write_text("{" if how == "bad metadata" else json.dumps(meta))


@pytest.mark.parametrize("how, message", [
    ("missing", "is missing"), ("metadata missing", "metadata"), ("truncated", "checksum"),
    ("garbage", "checksum"), ("old format", "format"), ("bad metadata", "cannot be read"),
    ("changed, checksum updated", "cannot be loaded"),
])
def test_broken_artifact_says_why(model_copy, how, message):
    _breaks(model_copy, how)
    with pytest.raises(artifact.ArtifactError, match=message):
        artifact.load(model_copy)


def test_broken_model_falls_back_to_rules_with_a_warning(model_copy, caplog):
    _breaks(model_copy, "truncated")
    with caplog.at_level(logging.WARNING):
        coder = Coder.load(model_copy)
    assert coder.model is None and coder.model_name == "rules-only"
    assert "coding with rules only" in caplog.text
    [[[q], [other]]] = coder.code([[TurnInput("practitioner", "Did he go to school today?"),
                                    TurnInput("practitioner", "The meeting is on Monday.")]])
    assert (q.code, q.subtype, q.source) == ("Q", "closed", "rule:question.closed_aux")
    assert other.code == "NC" and other.source == "rule:fallback.none"


def test_loading_does_not_need_scikit_learn():
    import subprocess
    import sys

    code = "import sys; from classifiers import artifact; artifact.load(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_save_is_atomic_and_checksummed(model_copy, tmp_path):
    model = artifact.load(model_copy)
    out = tmp_path / "again" / "m.npz"
    meta = artifact.save(model, out, {"note": "test"})
    assert meta["sha256"] == artifact._sha256(out)
    assert not list(out.parent.glob("*.tmp"))
    assert artifact.load(out).pipelines.keys() == model.pipelines.keys()
