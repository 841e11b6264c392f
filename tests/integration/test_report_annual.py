"""The annual report's every figure equals counts tallied independently while building a year."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import Engine, select, update

from states.registry import CASE_TYPES
from tests.report_scenario import AREAS, build_year
from tests.world import build_world
from workflow.cases.opening import open_case
from workflow.reports.catalogue import build_report
from workflow.reports.controls import CONTROL_LABELS
from workflow.reports.labels import OUTCOME_CATEGORIES, label
from workflow.reports.model import Report, pct
from workflow.schema.tables import CASE, EVENT

pytestmark = pytest.mark.integration


def _annual(engine: Engine, org: int, viewer: int | None = None) -> Report:
    with engine.connect() as conn:
        return build_report(conn, "annual", viewer or org, date(2026, 1, 1), date(2026, 12, 31), org)


@pytest.mark.parametrize("seed", [1, 7])
def test_every_figure_of_the_annual_report_matches_the_year_built_through_the_workflow(
    engine: Engine, seed: int
) -> None:
    s = build_year(engine, seed)
    exp = s.exp
    report = _annual(engine, s.w.orgs["NORTH"])

    rows = {r["area"]: r for r in report.table("planned_vs_performed").rows}
    total = rows.pop("Total")
    assert set(rows) == set(exp.planned)
    for area, c in exp.planned.items():
        r = rows[area]
        assert (r["planned"], r["performed"], r["ongoing"], r["deferred"], r["not_performed"]) == (
            c["planned"],
            c["performed"],
            c["ongoing"],
            c["deferred"],
            c["not_performed"],
        ), area
        assert r["performed_pct"] == pct(c["performed"], c["planned"])
    assert total["planned"] == sum(c["planned"] for c in exp.planned.values()) == 44

    got_np = {(r["area"], r["reason"]): r["count"] for r in report.table("not_performed_reasons").rows}
    assert got_np == dict(exp.not_performed)

    outcomes = {(r["area"], r["assessed_against"]): r for r in report.table("outcomes").rows}
    assert set(outcomes) == set(exp.outcomes)
    for key, c in exp.outcomes.items():
        r = outcomes[key]
        n = sum(c.values())
        assert r["n"] == n
        for cat, _ in OUTCOME_CATEGORIES:
            assert r[cat] == c[cat], (key, cat)
            assert r[f"{cat}_pct"] == pct(c[cat], n)

    other = {(r["area"], r["kind"]): r for r in report.table("other_follow_ups").rows}
    assert other == {
        (AREAS[0], "event driven"): {
            "area": AREAS[0],
            "kind": "event driven",
            "opened": 1,
            "performed": 1,
            "not_performed": 0,
            "open": 0,
        }
    }

    req = {(r["area"], r["kind"]): r for r in report.table("remedy_requests").rows}
    assert set(req) == set(exp.requests)
    for key, c in exp.requests.items():
        for col in ("sent", "approved", "provider_terminated", "escalated", "withdrawn", "open"):
            assert req[key][col] == c[col], (key, col)

    for table, expected in (("deviations", exp.deviations), ("complaints", exp.complaints)):
        got = {(r["kind"], r["topic"]): r["count"] for r in report.table(table).rows}
        assert got == dict(expected), table
        n = sum(expected.values())
        assert all(r["pct"] == pct(r["count"], n) for r in report.table(table).rows)

    excl = {(r["framework"], r["area"], r["reason"]): r for r in report.table("exclusions").rows}
    assert {k: (v["exclusions"], v["prolonged"]) for k, v in excl.items()} == {
        k: (c["exclusions"], c["prolonged"]) for k, c in exp.exclusions.items()
    }

    ended: Counter[tuple[str, str, str, str]] = Counter(
        (e["framework"], e["area"], e["reason"], e["measure_code"]) for e in exp.ended
    )
    got_ended: Counter[tuple[str, str, str, str]] = Counter()
    for r in report.table("terminations_by_framework").rows:
        for measure in ("terminated", "rescinded"):
            if r[measure]:
                got_ended[(r["framework"], r["area"], r["reason"], measure)] += r[measure]
    assert got_ended == ended

    controls = {(r["control"], r["round"]): r for r in report.table("control_checks").rows}
    if "control_check" in CASE_TYPES:
        want: dict[tuple[str, str], Counter[str]] = {}
        for (kind, rnd, target), n in exp.controls.items():
            c = want.setdefault((CONTROL_LABELS[kind], rnd), Counter())
            c["checks"] += n
            c[{"open": "not_done"}.get(target, target)] += n
        assert set(controls) == set(want)
        for key, c in want.items():
            for col in ("checks", "no_remarks", "remarks", "not_done", "cancelled"):
                assert controls[key][col] == c[col], (key, col)
    else:
        assert controls == {}

    summary = {r["figure"]: (r["count"], r["n"], r["pct"]) for r in report.table("summary").rows}
    planned_n = sum(c["planned"] for c in exp.planned.values())
    performed_n = sum(c["performed"] for c in exp.planned.values())
    assessed_n = sum(sum(c.values()) for c in exp.outcomes.values())
    complies_n = sum(c["compliant"] for c in exp.outcomes.values())
    assert summary["Planned follow-ups performed"] == (performed_n, planned_n, pct(performed_n, planned_n))
    assert summary["Assessed follow-ups that comply"] == (complies_n, assessed_n, pct(complies_n, assessed_n))
    assert summary["Deviations"][0] == sum(exp.deviations.values())
    assert summary["Complaints"][0] == sum(exp.complaints.values())
    assert summary["Supplementation and rectification requests"][0] == sum(c["sent"] for c in exp.requests.values())
    assert summary["Temporary exclusions from call-offs decided"][0] == sum(
        c["exclusions"] for c in exp.exclusions.values()
    )
    assert summary["Agreements terminated"][0] == sum(e["measure_code"] == "terminated" for e in exp.ended)
    assert summary["Agreements rescinded"][0] == sum(e["measure_code"] == "rescinded" for e in exp.ended)
    assert summary["Sampled invoices with errors"][:2] == (sum(c["errors"] for c in exp.invoices.values()), 40)

    inv = {r["round"]: r for r in report.table("invoice_sampling").rows}
    assert set(inv) == set(exp.invoices)
    for rnd, c in exp.invoices.items():
        assert inv[rnd]["sampled"] == c["sampled"] == 20
        assert inv[rnd]["with_errors"] == c["errors"]
        assert inv[rnd]["errors_pct"] == pct(c["errors"], 20)
        for err in ("move_out_day_billed", "wrong_price"):
            if c[err]:
                assert f"{label(err)}: {c[err]}" in inv[rnd]["error_types"]


def test_the_annual_report_of_another_board_shows_only_its_own_work(engine: Engine) -> None:
    s = build_year(engine, 3)
    report = _annual(engine, s.w.orgs["SOUTH"])
    planned = {r["area"]: r["planned"] for r in report.table("planned_vs_performed").rows}
    assert planned == {"(no contract area)": 1, "Total": 1}
    assert [(r["area"], r["n"]) for r in report.table("outcomes").rows] == [("(no contract area)", 1)]
    for key in ("remedy_requests", "deviations", "complaints", "exclusions", "invoice_sampling", "control_checks"):
        assert report.table(key).rows == [], key
    assert [r["rescinded"] for r in report.table("terminations_by_framework").rows] == [1]


def test_a_district_cannot_ask_for_another_boards_report(engine: Engine) -> None:
    from workflow.engine.errors import NotFound

    s = build_year(engine, 5)
    with pytest.raises(NotFound), engine.connect() as conn:
        build_report(conn, "annual", s.w.orgs["SOUTH"], date(2026, 1, 1), date(2026, 12, 31), s.w.orgs["NORTH"])


def test_a_control_opened_just_after_midnight_in_stockholm_counts_in_the_new_month(engine: Engine) -> None:
    from datetime import UTC, datetime

    from tests.world import build_world
    from workflow.cases.opening import open_case

    if "control_check" not in CASE_TYPES:
        pytest.skip("no control_check case type")
    w = build_world(engine)
    actor = w.actor("NORTH", "contract_strategist")
    for at in (datetime(2026, 1, 31, 22, 30, tzinfo=UTC), datetime(2026, 1, 31, 23, 30, tzinfo=UTC)):
        w.clock.now = at  # 23:30 and 00:30 in Stockholm
        open_case(w.wf, "control_check", actor, "round", kind="ivo_check", provider_id=w.providers["Acme Care AB"])
    rows = _annual(engine, w.orgs["NORTH"]).table("control_checks").rows
    assert [(r["round"], r["checks"], r["not_done"]) for r in rows] == [("2026-01", 1, 1), ("2026-02", 1, 1)]


def test_a_follow_up_not_performed_for_two_reasons_counts_once_as_not_performed_and_once_under_each(
    engine: Engine,
) -> None:
    """The seed's addiction-care case: the visit was cancelled, then the agreement expired (older data: one reason)."""
    w = build_world(engine)
    strategist = w.actor("NORTH", "contract_strategist")

    def planned() -> int:
        return open_case(
            w.wf, "follow_up", strategist, "plan", kind="planned_special",
            agreement_id=w.agreements["north_calloff"], plan_year=2026,
        ).case_id  # fmt: skip

    two = planned()
    w.wf.fire(
        two, "mark_not_performed", strategist, "cancelled, then expired",
        params={"not_performed_reasons": ["agreement_expired", "provider_cancelled_visit"]},
    )  # fmt: skip
    other = planned()
    w.wf.fire(
        other, "mark_not_performed", strategist, "no staff",
        params={"not_performed_reasons": ["other"], "not_performed_reasons_other": "The unit had no staff on site"},
    )  # fmt: skip
    old = planned()  # marked before several reasons were possible: one reason, in reason_code
    with engine.begin() as conn:
        conn.execute(
            update(CASE).where(CASE.c.id == old).values(status="not_performed", reason_code="terminated_before")
        )
        params = conn.execute(
            select(EVENT.c.params).where(EVENT.c.case_id == other, EVENT.c.trigger == "mark_not_performed")
        ).scalar_one()
    assert params == {
        "not_performed_reasons": ["other"],
        "not_performed_reasons_other": "The unit had no staff on site",
    }
    report = _annual(engine, w.orgs["NORTH"])
    total = next(r for r in report.table("planned_vs_performed").rows if r["area"] == "Total")
    assert (total["planned"], total["not_performed"]) == (3, 3)
    reasons = report.table("not_performed_reasons")
    assert {r["reason"]: r["count"] for r in reasons.rows} == {
        label("provider_cancelled_visit"): 1,
        label("agreement_expired"): 1,
        label("other"): 1,
        label("terminated_before"): 1,
    }
    assert "once under each of its reasons" in reasons.note


def test_a_control_round_recorded_after_the_fact_counts_in_the_month_it_was_opened(engine: Engine) -> None:
    from datetime import UTC, datetime

    from tests.world import build_world
    from workflow.cases.opening import open_case

    w = build_world(engine)
    actor = w.actor("NORTH", "contract_strategist")
    w.clock.now = datetime(2026, 2, 10, 9, tzinfo=UTC)  # typed in in February …
    open_case(
        w.wf, "control_check", actor, "round", kind="ivo_check", provider_id=w.providers["Acme Care AB"],
        occurred_on=date(2026, 1, 20),  # … for a round opened in January
    )  # fmt: skip
    open_case(w.wf, "control_check", actor, "round", kind="ivo_check", provider_id=w.providers["Acme Care AB"])
    rows = _annual(engine, w.orgs["NORTH"]).table("control_checks").rows
    assert [(r["round"], r["checks"]) for r in rows] == [("2026-01", 1), ("2026-02", 1)]
