"""The model artifact on disk: the pipelines as arrays plus metadata beside them.

`<name>.npz` holds each role's vocabularies, idf weights and coefficients (no pickle, so
loading a file can never run code); `<name>.json` holds the format version, library
versions, the training data's hash, cross-validated scores, calibration, labels and the
SHA-256 of the arrays file. Both are written atomically. Loading checks all of that first:
a missing, corrupt, tampered or incompatible artifact gives an `ArtifactError` that says
why, and callers fall back to rules.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

FORMAT_VERSION = 2
MODEL_NAME = "mifi-model"


class ArtifactError(RuntimeError):
    """The model artifact cannot be used; the message says why."""


def default_model_path() -> Path:
    """`MIFI_MODEL` if set, else the model shipped in the package (classifiers/models/)."""
    if os.environ.get("MIFI_MODEL"):
        return Path(os.environ["MIFI_MODEL"])
    return shipped_model_path()


def shipped_model_path() -> Path:
    return Path(str(resources.files("classifiers").joinpath("models", f"{MODEL_NAME}.npz")))


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("scikit-learn", "numpy", "spacy")}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(model: Any, path: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """Write the pipelines as arrays and their metadata; each file is replaced atomically."""
    import numpy as np

    from classifiers.linear import LinearPipeline

    arrays: dict[str, Any] = {}
    for role, pipe in model.pipelines.items():
        linear = pipe if isinstance(pipe, LinearPipeline) else LinearPipeline.from_sklearn(pipe)
        arrays.update(linear.arrays(role))
    _atomic_write(path, lambda f: np.savez_compressed(f, **arrays))
    meta = {"format_version": FORMAT_VERSION, "name": model.name, "version": model.version,
            "libraries": library_versions(), **metadata, "sha256": _sha256(path)}
    data = json.dumps(meta, indent=1, sort_keys=True).encode()
    _atomic_write(path.with_suffix(".json"), lambda f: f.write(data))
    return meta


def read_metadata(path: Path) -> dict[str, Any]:
    meta_path = path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"model metadata {meta_path.name} is missing") from None
    except (OSError, ValueError) as e:
        raise ArtifactError(f"model metadata {meta_path.name} cannot be read ({e})") from None
    if not isinstance(meta, dict):
        raise ArtifactError(f"model metadata {meta_path.name} is not a JSON object")
    return meta


def load(path: Path | None = None) -> Any:
    """Load a CodeModel after checking its metadata; raise ArtifactError saying why not."""
    import numpy as np

    from classifiers.linear import LinearPipeline
    from classifiers.model import CodeModel

    path = path or default_model_path()
    if not path.is_file():
        raise ArtifactError(f"model file {path.name} is missing (run 'mifi train')")
    meta = read_metadata(path)
    if meta.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"model format {meta.get('format_version')!r} is not "
                            f"{FORMAT_VERSION} (run 'mifi train')")
    if _sha256(path) != meta.get("sha256"):
        raise ArtifactError(f"model file {path.name} does not match its metadata checksum "
                            "(corrupt or changed; run 'mifi train')")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        pipelines = {role: LinearPipeline.from_arrays(arrays, role)
                     for role in ("practitioner", "client") if f"{role}.coef" in arrays}
    except Exception as e:  # a damaged archive can raise many kinds of error
        raise ArtifactError(f"model file {path.name} cannot be loaded ({type(e).__name__})") from None
    if not pipelines:
        raise ArtifactError(f"model file {path.name} holds no MI Fidelity pipelines")
    return CodeModel(pipelines, str(meta.get("name", MODEL_NAME)), str(meta.get("version", "0")),
                     {k: float(v) for k, v in meta.get("temperatures", {}).items()},
                     {k: float(v) for k, v in meta.get("rule_precision", {}).items()})
