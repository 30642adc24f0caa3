from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import harness


def fake_runs(monkeypatch: pytest.MonkeyPatch, runs: list[harness.KritaRun]) -> list[int]:
    calls: list[int] = []

    def once(*args: object, **kwargs: object) -> harness.KritaRun:
        calls.append(1)
        return runs[len(calls) - 1]

    monkeypatch.setattr(harness, "_run_krita_once", once)
    monkeypatch.setattr(harness.time, "sleep", lambda _: None)
    return calls


def aborted() -> harness.KritaRun:
    return harness.KritaRun(134, False, 0.5, "qt.qpa.xcb: could not connect to display :1\n"
                            "Aborted\n", {}, [])


def finished() -> harness.KritaRun:
    return harness.KritaRun(0, False, 30.0, "", {"finished": True}, ["start", "end"])


def test_a_start_lost_to_the_display_race_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_runs(monkeypatch, [aborted(), finished()])
    run = harness.run_krita(None, Path("s.py"), Path("out"))  # type: ignore[arg-type]
    assert run.results == {"finished": True} and len(calls) == 2


def test_other_failures_and_repeated_races_are_not_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crashed = harness.KritaRun(139, False, 20.0, "could not connect to display", {},
                               ["start"])  # the scenario ran: never retried
    calls = fake_runs(monkeypatch, [crashed, finished()])
    assert harness.run_krita(None, Path("s.py"), Path("out")).returncode == 139  # type: ignore[arg-type]
    assert len(calls) == 1
    calls = fake_runs(monkeypatch, [aborted(), aborted(), aborted(), finished()])
    assert harness.run_krita(None, Path("s.py"), Path("out")).returncode == 134  # type: ignore[arg-type]
    assert len(calls) == 3


def test_a_krita_that_hangs_after_its_scenario_ended_is_ended(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    import subprocess
    import sys

    # Stands in for Krita: the scenario ends (result.json says finished), the process stays.
    hang = ("import json, os, pathlib, time; out = pathlib.Path(os.environ['LR_E2E_OUT']); "
            "(out / 'result.json').write_text(json.dumps({'results': {'finished': True}, "
            "'log': ['quitting']})); time.sleep(600)")
    popen = subprocess.Popen

    def fake_krita(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        return popen([sys.executable, "-c", hang], **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(harness.subprocess, "Popen", fake_krita)
    monkeypatch.setattr(harness, "QUIT_GRACE_S", 1.0)
    profile = harness.make_profile(tmp_path / "profile")
    run = harness.run_krita(profile, Path("s.py"), tmp_path / "out", timeout=60)
    assert run.results == {"finished": True} and not run.timed_out
    assert run.returncode == -9 and run.seconds < 30
