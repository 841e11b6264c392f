"""``uppfoljning scheduler`` yields the CPU to the API: it lowers its own priority as the settings say."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

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
