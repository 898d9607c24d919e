"""Coding a large file on two CPUs: a worker process codes the later sessions meanwhile.

`mifi code` on a file of many sessions is bound by one CPU, and a third of its time is
start-up (importing spaCy and loading the model). For a large file, when a second CPU is
free, a `Worker` is started first: a freshly spawned process (no fork, so nothing
half-initialised is copied) that imports the pipeline and loads the model while this process
reads the file and does the same. The later half of the sessions then goes to the worker.
Sessions never span the split, so the result is exactly what one process gives. This module
imports only the standard library, so starting the worker costs this process nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.coding import CodedSession
    from app.transcript import Transcript

#: A file smaller than this is coded in one process (about 1,000 turns of conversation).
MIN_BYTES_FOR_WORKER = 100_000
#: Below this many turns the worker's share is too small to be worth sending.
MIN_TURNS_FOR_WORKER = 1000
#: The worker starts later (a new interpreter that unpickles its share), so it takes less
#: than half: 0.4 finished both together on the AnnoMI dev split on two CPUs.
WORKER_SHARE = 0.4


def usable_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worth_a_worker(size_bytes: int, jobs: int | None = None) -> bool:
    """Whether to start a worker for a file of this size, with `jobs` processes allowed
    (default: the CPUs free, up to two)."""
    jobs = min(usable_cpus(), 2) if jobs is None else jobs
    return jobs >= 2 and size_bytes >= MIN_BYTES_FOR_WORKER


def split_point(transcripts: Sequence[Transcript], worker_share: float = WORKER_SHARE) -> int:
    """Where to split the transcripts so the worker gets about `worker_share` of the turns;
    0 when its share would not be worth it (few turns, or one session)."""
    sizes = [len(t.turns) for t in transcripts]
    total = sum(sizes)
    if len(transcripts) < 2 or total < MIN_TURNS_FOR_WORKER:
        return 0
    running = 0
    for i, n in enumerate(sizes):
        running += n
        if running >= total * (1 - worker_share):
            return min(i + 1, len(transcripts) - 1)
    return len(transcripts) - 1


class Worker:
    """A process that loads the pipeline now and codes a share of the transcripts later."""

    def __init__(self, scheme: str | Path, model: Path | None) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        # Daemonic: if it is never given work, it ends with this process.
        self._process = context.Process(target=_serve, args=(child, scheme, model), daemon=True)
        self._process.start()
        child.close()
        self._sender: threading.Thread | None = None

    def code(self, transcripts: Sequence[Transcript]) -> None:
        """Hand over the worker's share (returns at once: the worker reads it only once it has
        loaded the pipeline, and a large share does not fit in the pipe meanwhile)."""
        self._sender = threading.Thread(target=self._send, args=(list(transcripts),), daemon=True)
        self._sender.start()

    def _send(self, transcripts: list[Transcript]) -> None:
        try:
            self._conn.send(transcripts)
        except OSError:  # the worker has already ended: `result` says so
            pass

    def result(self) -> list[CodedSession] | None:
        """The worker's coded sessions, or None if it failed (then code its share here)."""
        if self._sender is not None:
            self._sender.join()
        try:
            answer: Any = self._conn.recv()
        except (EOFError, OSError):
            answer = None
        self._process.join(timeout=5)
        return answer if isinstance(answer, list) else None

    def stop(self) -> None:
        """No work after all: let the worker end."""
        try:
            self._conn.send(None)
        except OSError:
            pass


def _serve(conn: Connection, scheme: str | Path, model: Path | None) -> None:
    """The worker's life: load the pipeline, wait for transcripts, send back coded sessions."""
    import logging

    try:
        from app.active_model import model_for_coding
        from app.coding import code_transcripts
        from app.config import Settings
        from app.scheme import load_scheme
        from classifiers.coder import Coder

        # The parent loads the same model and reports any problem with it: say it once.
        logging.getLogger("classifiers").setLevel(logging.ERROR)
        coder = Coder.load(model or model_for_coding(Settings()))
        loaded = load_scheme(scheme)
        transcripts = conn.recv()
        if transcripts is not None:
            conn.send(code_transcripts(transcripts, loaded, coder))
    except Exception as e:  # noqa: BLE001  (the parent codes this share itself instead)
        try:
            conn.send(type(e).__name__)
        except OSError:  # the parent has gone
            pass
    conn.close()
    os._exit(0)  # the answer is sent: skip tearing the pipeline down object by object
