"""Which model artifact codes sessions: a pinned path, `MIFI_MODEL`, the active version
in the model folder, or the shipped model. Kept free of database imports so that
`mifi code` starts quickly."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ACTIVE_FILE = "active.json"


def active_model_path(folder: Path) -> Path | None:
    """The active version's artifact named by `active.json` in the model folder, if any."""
    try:
        data = json.loads((folder / ACTIVE_FILE).read_text(encoding="utf-8"))
        path = (folder / str(data["path"])).resolve()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return path if path.is_file() and path.is_relative_to(folder.resolve()) else None


def model_for_coding(settings: Any) -> Path | None:
    """The artifact to code with: `MIFI_MODEL_PATH`; else `MIFI_MODEL` (None: the artifact
    module reads it); else the active version; else None, meaning the shipped model."""
    if settings.model_path:
        return Path(settings.model_path)
    if os.environ.get("MIFI_MODEL"):
        return None
    return active_model_path(settings.models_dir)
