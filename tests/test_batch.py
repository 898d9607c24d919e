import json

from app import batch, cli
from app.transcript import Transcript, Turn


def _transcripts(*sizes: int) -> list[Transcript]:
    return [Transcript([Turn("SW", "practitioner", "How are things?")] * n, session_id=str(i))
            for i, n in enumerate(sizes)]


def test_split_point_gives_the_worker_its_share_of_turns_between_sessions():
    assert batch.split_point(_transcripts(1000, 1000, 1000, 1000), worker_share=0.5) == 2
    assert batch.split_point(_transcripts(*[100] * 10), worker_share=0.4) == 6
    assert batch.split_point(_transcripts(3000, 100, 100)) == 1


def test_no_worker_for_small_files_one_session_or_one_cpu():
    assert batch.split_point(_transcripts(10, 10)) == 0
    assert batch.split_point(_transcripts(5000)) == 0
    assert not batch.worth_a_worker(10_000_000, jobs=1)
    assert not batch.worth_a_worker(1_000, jobs=2)
    assert batch.worth_a_worker(batch.MIN_BYTES_FOR_WORKER, jobs=2)


def _sessions_csv(tmp_path, sessions: int = 6, turns: int = 12):  # noqa: ANN202
    rows = ["session_id,turn,speaker,text"]
    talk = [("practitioner", "What would you like to be different for the kids?"),
            ("client", "I want them in school on time. But mornings are chaos."),
            ("practitioner", "So mornings feel out of your hands. You still want this."),
            ("client", "Yeah. I could do the bags the night before.")]
    for s in range(sessions):
        for t in range(turns):
            role, text = talk[t % 4]
            rows.append(f'{s},{t},{role},"{text} ({s}.{t})"')
    source = tmp_path / "sessions.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return source


def test_two_processes_give_exactly_the_one_process_result(tmp_path, monkeypatch):
    source = _sessions_csv(tmp_path)
    monkeypatch.setattr(batch, "MIN_BYTES_FOR_WORKER", 100)
    monkeypatch.setattr(batch, "MIN_TURNS_FOR_WORKER", 10)
    shares = []
    real_code = batch.Worker.code
    monkeypatch.setattr(batch.Worker, "code", lambda self, ts: shares.append(ts) or real_code(self, ts))
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert cli.main(["code", str(source), "--format", "json", "--out", str(one), "--jobs", "1"]) == 0
    assert not shares
    assert cli.main(["code", str(source), "--format", "json", "--out", str(two), "--jobs", "2"]) == 0
    assert [[t.session_id for t in share] for share in shares] == [["4", "5"]]
    assert json.loads(one.read_text()) == json.loads(two.read_text())


def test_a_failed_worker_share_is_coded_here(tmp_path, monkeypatch):
    source = _sessions_csv(tmp_path, sessions=3, turns=8)
    monkeypatch.setattr(batch, "MIN_BYTES_FOR_WORKER", 100)
    monkeypatch.setattr(batch, "MIN_TURNS_FOR_WORKER", 10)
    # The worker is handed something it cannot code, so it reports a failure.
    monkeypatch.setattr(batch.Worker, "code", lambda self, ts: self._conn.send([None]))
    out = tmp_path / "out.json"
    assert cli.main(["code", str(source), "--format", "json", "--out", str(out), "--jobs", "2"]) == 0
    assert [s["session_id"] for s in json.loads(out.read_text())["sessions"]] == ["0", "1", "2"]


def test_a_worker_with_no_work_ends_quietly():
    worker = batch.Worker("miti-4.2.1", None)
    worker.stop()
    worker._process.join(timeout=60)
    assert worker._process.exitcode == 0
