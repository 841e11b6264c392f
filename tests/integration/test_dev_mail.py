"""In development, mail lands in a local sink that keeps it; `uppfoljning mail test` says plainly whether mail works."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.smtp_sink import free_port
from workflow.cli import main
from workflow.notify.devmail import DevMailSink, messages, smtp_reachable
from workflow.settings import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def sink(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = DevMailSink(tmp_path / "mail", "127.0.0.1", free_port())
    s.start()
    yield s
    s.stop()


def test_the_mail_test_command_delivers_one_message_the_sink_keeps(
    sink: DevMailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPPF_SMTP_PORT", str(sink.port))
    monkeypatch.setenv("UPPF_MAIL_FROM", "uppfoljning@kommun.test.invalid")
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(main, ["mail", "test", "--to", "strateg@kommun.test.invalid"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    [kept] = messages(sink.directory)
    assert kept.subject == "Uppföljning: testmeddelande"
    assert kept.recipients == "strateg@kommun.test.invalid"
    assert "E-post fungerar" in kept.body
    assert smtp_reachable("127.0.0.1", sink.port) is None


def test_mail_test_says_plainly_when_nothing_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("UPPF_SMTP_PORT", str(port))
    monkeypatch.setenv("UPPF_SMTP_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(main, ["mail", "test", "--to", "strateg@kommun.test.invalid"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code != 0
    assert f"127.0.0.1:{port}" in out.output and "cannot reach the SMTP server" in out.output
    assert "nothing answers" in (smtp_reachable("127.0.0.1", port) or "")


def test_the_reachability_probe_says_quit_so_the_mail_server_logs_no_lost_connection() -> None:
    import socket
    import threading

    heard: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:

        def answer() -> None:
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"220 test ESMTP\r\n")
                heard.append(conn.recv(64))
                conn.sendall(b"221 bye\r\n")

        thread = threading.Thread(target=answer)
        thread.start()
        assert smtp_reachable("127.0.0.1", server.getsockname()[1]) is None
        thread.join(timeout=5)
    assert heard == [b"QUIT\r\n"]
