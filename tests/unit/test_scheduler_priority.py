"""``uppfoljning scheduler`` yields the CPU to the API: it lowers its own priority as the settings say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import scheduler.priority
import scheduler.service
import workflow.runtime
from scheduler.cli import scheduler_command
from workflow.settings import get_settings


class _Service:
    def __init__(self, _engine: Any) -> None:
        self.leader = self

    def run_once(self) -> dict[str, int]:
        return {}

    def release(self) -> None:
        pass


def _niced(monkeypatch: pytest.MonkeyPatch, setting: str | None) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr("os.nice", lambda n: calls.append(n) or n)
    monkeypatch.setattr(scheduler.priority, "_lowered", False)
    monkeypatch.setattr(scheduler.service, "SchedulerService", _Service)
    monkeypatch.setattr(workflow.runtime, "engine_for", lambda url=None: None)
    if setting is None:
        monkeypatch.delenv("UPPF_SCHEDULER_NICE", raising=False)
    else:
        monkeypatch.setenv("UPPF_SCHEDULER_NICE", setting)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(scheduler_command, ["--once"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return calls


def test_the_scheduler_lowers_its_cpu_priority_by_ten_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _niced(monkeypatch, None) == [10]


def test_the_scheduler_keeps_its_priority_when_the_setting_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _niced(monkeypatch, "0") == []


def test_the_scheduler_lowers_its_priority_before_it_loads_the_application() -> None:
    probe = (
        "import os, sys; seen = []; os.nice = lambda n: seen.append('sqlalchemy' in sys.modules) or n; "
        "sys.argv = ['uppfoljning', '--log-level', 'WARNING', 'scheduler']; import workflow.cli; print(seen)"
    )
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "UPPF_SCHEDULER_NICE"} | {"PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True, cwd=root)
    assert out.stdout.strip() == "[False]"  # niced once, before SQLAlchemy and the tables were imported


def test_other_commands_keep_their_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr("os.nice", lambda n: calls.append(n) or n)
    monkeypatch.setattr(scheduler.priority, "_lowered", False)
    scheduler.priority.lower_if_scheduler(["uppfoljning", "serve"])
    scheduler.priority.lower_if_scheduler(["uppfoljning", "scheduler", "--help"])
    assert calls == []
