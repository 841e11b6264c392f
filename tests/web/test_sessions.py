"""Staff sessions live in the database, so every worker process (an application instance) knows them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.web.conftest import Staff, csrf_of, staff_client
from workflow.clock import utcnow
from workflow.engine.uow import UnitOfWork
from workflow.web.sessions import SESSION, DatabaseSessionStore, purge_expired, shared_secret

pytestmark = pytest.mark.integration


def test_a_session_made_by_one_application_instance_is_valid_in_a_second_on_the_same_database(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    cookie = staff.client.cookies.get("uppf_session")
    assert cookie
    with staff_client(staff.engine, staff.clock) as other:
        other.cookies.set("uppf_session", cookie)
        page = other.get("/oversikt", follow_redirects=False)
        assert page.status_code == 200
        assert "Avtalsstrateg, Norrmalms stadsdelsnämnd" in page.text


def test_a_form_from_one_instance_is_accepted_by_another(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    token = csrf_of(staff.client.get("/oversikt").text)
    with staff_client(staff.engine, staff.clock) as other:
        for name in ("uppf_session", "uppf_csrf"):
            other.cookies.set(name, staff.client.cookies.get(name) or "")
        res = other.post("/logga-ut", data={"_csrf_token": token}, follow_redirects=False)
        assert res.status_code == 303


def test_an_expired_session_is_not_valid_in_any_instance_and_is_purged(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    cookie = staff.client.cookies.get("uppf_session")
    assert cookie
    uow = UnitOfWork(staff.engine, staff.clock)
    past = utcnow() - timedelta(minutes=1)
    uow.write(lambda conn: conn.execute(update(SESSION).where(SESSION.c.key == cookie).values(expires_at=past)))
    with staff_client(staff.engine, staff.clock) as other:
        other.cookies.set("uppf_session", cookie)
        assert other.get("/oversikt", follow_redirects=False).status_code == 303
    assert staff.client.get("/oversikt", follow_redirects=False).status_code == 303
    with staff.engine.connect() as conn:
        value = conn.execute(select(SESSION.c.value).where(SESSION.c.key == cookie)).scalar()
    assert value is None or b"norrmalm.strateg" not in bytes(value)  # the signed-in session is gone


def test_expired_sessions_are_purged_and_live_ones_kept(staff: Staff) -> None:
    uow = UnitOfWork(staff.engine, staff.clock)
    store = DatabaseSessionStore(uow, staff.clock)

    async def run() -> None:
        await store.set("short", b"x", expires_in=60)
        await store.set("long", b"y", expires_in=3600)

    asyncio.run(run())
    assert purge_expired(uow, staff.clock() + timedelta(minutes=5)) >= 1
    with staff.engine.connect() as conn:
        keys = set(conn.execute(select(SESSION.c.key).where(SESSION.c.key.in_(("short", "long")))).scalars())
    assert keys == {"long"}


def test_a_session_outlives_a_change_of_the_applications_clock(staff: Staff) -> None:
    """Sessions expire by wall time, not by the (test) clock the engine runs on."""
    staff.sign_in("norrmalm.strateg")
    staff.clock.advance(days=3)
    assert staff.client.get("/oversikt", follow_redirects=False).status_code == 200


def test_the_store_answers_expiry_and_never_hands_out_a_shared_secret_as_a_session(staff: Staff) -> None:
    uow = UnitOfWork(staff.engine, staff.clock)
    store = DatabaseSessionStore(uow, staff.clock)
    secret = shared_secret(uow, "csrf")
    assert shared_secret(uow, "csrf") == secret

    async def run() -> None:
        await store.set("abc", b"data", expires_in=60)
        assert await store.get("abc") == b"data"
        assert await store.exists("abc")
        assert await store.expires_in("abc") == 60
        staff.clock.advance(seconds=61)
        assert await store.get("abc") is None
        assert await store.get("secret:csrf") is None
        await store.delete_all()

    asyncio.run(run())
    assert shared_secret(uow, "csrf") == secret


def test_an_unchanged_session_is_written_again_only_when_its_expiry_moves_by_more_than_the_grace(
    staff: Staff,
) -> None:
    uow = UnitOfWork(staff.engine, staff.clock)
    store = DatabaseSessionStore(uow, staff.clock)

    def stored() -> tuple[bytes, object]:
        with staff.engine.connect() as conn:
            row = conn.execute(select(SESSION.c.value, SESSION.c.expires_at).where(SESSION.c.key == "page")).one()
        return bytes(row.value), row.expires_at

    async def run() -> None:
        await store.set("page", b"signed-in", expires_in=3600)
        first = stored()
        staff.clock.advance(minutes=1)
        await store.set("page", b"signed-in", expires_in=3600)  # a page view: nothing to write
        assert stored() == first
        await store.set("page", b"signed-in, new flash", expires_in=3600)  # changed data: written at once
        changed = stored()
        assert changed[0] == b"signed-in, new flash" and changed[1] != first[1]
        staff.clock.advance(minutes=6)
        await store.set("page", b"signed-in, new flash", expires_in=3600)  # the expiry moved on: renewed
        assert stored()[1] == staff.clock() + timedelta(seconds=3600)

    asyncio.run(run())


def test_a_page_view_reads_its_session_once_and_stores_it_back_unchanged_without_reading_it_again(
    staff: Staff,
) -> None:
    uow = UnitOfWork(staff.engine, staff.clock)
    store = DatabaseSessionStore(uow, staff.clock)
    reads: list[object] = []
    plain_read = uow.read

    def counted(work):  # type: ignore[no-untyped-def]
        reads.append(work)
        return plain_read(work)

    async def run() -> None:
        await store.set("page", b"signed-in", expires_in=3600)
        uow.read = counted  # type: ignore[method-assign]
        assert await store.get("page") == b"signed-in"  # the request's read
        await store.set("page", b"signed-in", expires_in=3600)  # the same request stores it back
        assert len(reads) == 1
        await store.set("page", b"signed-in", expires_in=3600)  # a store with no read before it reads the row
        assert len(reads) == 2

    asyncio.run(run())


def test_a_session_signed_out_in_another_worker_during_a_request_is_not_brought_back_by_it(staff: Staff) -> None:
    here = DatabaseSessionStore(UnitOfWork(staff.engine, staff.clock), staff.clock)
    other_worker = DatabaseSessionStore(UnitOfWork(staff.engine, staff.clock), staff.clock)

    async def run() -> None:
        await here.set("page", b"signed-in", expires_in=3600)
        assert await here.get("page") == b"signed-in"  # a request starts here ...
        await other_worker.delete("page")  # ... the user signs out in another tab, served by another worker ...
        await here.set("page", b"signed-in", expires_in=3600)  # ... and the first request ends
        assert await other_worker.get("page") is None

    asyncio.run(run())
