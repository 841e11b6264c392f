"""Individual follow-up results: rates and distributions from the answers, aggregates only, suppressed centrally."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import Engine, func, insert, select

from tests.world import World, build_world
from workflow.engine.errors import InvalidInput, NotFound
from workflow.reports.catalogue import build_report
from workflow.reports.model import Report, pct
from workflow.reports.recording import RATINGS, record_individual_follow_up
from workflow.schema.db import new_id
from workflow.schema.tables import IndividualAnswer, IndividualFollowUp, Placement

pytestmark = pytest.mark.integration
PERIOD = (date(2026, 1, 1), date(2026, 12, 31))


def _placement(w: World, org: str, gender: str, n: int) -> int:
    with w.engine.begin() as conn:
        return new_id(
            conn.execute(
                insert(Placement.__table__).values(  # type: ignore[attr-defined]
                    organisation_id=w.orgs[org],
                    agreement_id=w.agreements["north_calloff" if org == "NORTH" else "south_individual"],
                    provider_id=w.providers["Acme Care AB" if org == "NORTH" else "Beta Stöd AB"],
                    client_ref=f"KL-SECRET-{org}-{n}",
                    gender=gender,
                    starts_on=date(2025, 1, 1),
                )
            )
        )


def _fill(w: World, seed: int) -> dict[str, list[tuple[str, dict[str, str] | None]]]:
    """Follow-ups for NORTH (many) and SOUTH (few); returns what was recorded per board."""
    rng = random.Random(seed)
    done: dict[str, list[tuple[str, dict[str, str] | None]]] = {"NORTH": [], "SOUTH": []}
    plan = [("NORTH", "female")] * 9 + [("NORTH", "male")] * 8 + [("NORTH", "other")] * 2 + [("SOUTH", "male")] * 3
    for i, (org, gender) in enumerate(plan):
        p = _placement(w, org, gender, i)
        answers = None
        if rng.random() < 0.8:
            answers = {q: rng.choice(RATINGS) for q in ("A1", "A2", "A3", "A4")}
            if rng.random() < 0.5:
                answers["C1"] = rng.choice(RATINGS)
        with w.engine.begin() as conn:
            record_individual_follow_up(conn, w.orgs[org], p, date(2026, 5, 1 + i), answers)
        done[org].append((gender, answers))
    late = _placement(w, "NORTH", "male", 99)
    with w.engine.begin() as conn:  # outside the period: must not count
        answers = {"A1": "approved", "A2": "approved", "A3": "approved", "A4": "deficient"}
        record_individual_follow_up(conn, w.orgs["NORTH"], late, date(2025, 12, 31), answers)
    return done


def _report(w: World, viewer: str, org: str | None = None) -> Report:
    with w.engine.connect() as conn:
        return build_report(conn, "individual", w.orgs[viewer], *PERIOD, w.orgs[org] if org else None)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_board_sees_its_rates_and_distributions_computed_from_the_answers(engine: Engine, seed: int) -> None:
    w = build_world(engine)
    done = _fill(w, seed)["NORTH"]
    r = _report(w, "NORTH")
    reg = r.table("registration").rows
    registered = [a for _, a in done if a is not None]
    assert [(x["performed"], x["registered"], x["registered_pct"]) for x in reg] == [
        (len(done), len(registered), pct(len(registered), len(done)))
    ]
    rates = {x["question"][:2]: x for x in r.table("response_rates").rows}
    c1 = sum("C1" in a for a in registered)
    assert (rates["C1"]["answered"], rates["C1"]["answered_pct"]) == (c1, pct(c1, len(registered)))
    assert rates["A4"]["answered"] == len(registered) and rates["C2"]["answered"] == 0
    a4 = Counter(a["A4"] for a in registered)
    row = next(x for x in r.table("ratings").rows if x["question"].startswith("A4"))
    assert row["n"] == len(registered)
    for rating in RATINGS:
        assert (row[rating], row[f"{rating}_pct"]) == (a4[rating], pct(a4[rating], len(registered)))
    genders = {x["group"]: x for x in r.table("by_gender").rows}
    for g, label in (("female", "Women"), ("male", "Men"), ("other", "Other")):
        want = Counter(a["A4"] for gg, a in done if gg == g and a is not None)
        assert genders[label]["n"] == sum(want.values())
        assert all(genders[label][k] == want[k] for k in RATINGS)  # inside the board: nothing suppressed
        assert genders[label]["suppressed"] == ""


def test_centrally_only_aggregates_are_seen_and_small_groups_are_suppressed(engine: Engine) -> None:
    w = build_world(engine)
    done = _fill(w, 3)
    compiled = _report(w, "CENTRAL")
    text = json.dumps(compiled.as_dict(), default=str)
    assert "KL-SECRET" not in text
    reg = {x["board"]: x for x in compiled.table("registration").rows}
    assert reg["SOUTH board"]["performed"] is None and reg["SOUTH board"]["suppressed"].startswith("suppressed")
    assert reg["NORTH board"]["performed"] == len(done["NORTH"])
    assert reg["Total"]["performed"] == len(done["NORTH"]) + len(done["SOUTH"])
    genders = {x["group"]: x for x in compiled.table("by_gender").rows}
    other = sum(1 for g, a in done["NORTH"] if g == "other" and a is not None)
    assert other < 5 and genders["Other"]["very_good"] is None
    # The central board looking at one district: the same rule, and still no rows.
    one = _report(w, "CENTRAL", "NORTH")
    assert {x["group"]: x["suppressed"] for x in one.table("by_gender").rows}["Other"] != ""
    assert "KL-SECRET" not in json.dumps(one.as_dict(), default=str)


def test_a_district_cannot_read_another_districts_results(engine: Engine) -> None:
    w = build_world(engine)
    _fill(w, 4)
    with pytest.raises(NotFound):
        _report(w, "SOUTH", "NORTH")


def test_bad_answers_are_refused_and_nothing_is_written(engine: Engine) -> None:
    w = build_world(engine)
    p = _placement(w, "NORTH", "female", 1)
    bad = [
        (w.orgs["NORTH"], {"A1": "approved"}, InvalidInput),  # mandatory assessment questions missing
        (w.orgs["NORTH"], {"A1": "great", "A2": "approved", "A3": "approved", "A4": "approved"}, InvalidInput),
        (
            w.orgs["NORTH"],
            {"Q9": "approved", "A1": "approved", "A2": "approved", "A3": "approved", "A4": "approved"},
            InvalidInput,
        ),
        (w.orgs["SOUTH"], None, NotFound),  # another board's placement
    ]
    for org, answers, error in bad:
        with pytest.raises(error), engine.begin() as conn:
            record_individual_follow_up(conn, org, p, date(2026, 5, 1), answers)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(IndividualFollowUp.__table__)).scalar() == 0  # type: ignore[attr-defined]
        assert conn.execute(select(func.count()).select_from(IndividualAnswer.__table__)).scalar() == 0  # type: ignore[attr-defined]


def test_the_boards_own_secretary_also_gets_suppressed_aggregates(engine: Engine) -> None:
    w = build_world(engine)
    done = _fill(w, 6)["NORTH"]
    with engine.connect() as conn:
        r = build_report(conn, "individual", w.orgs["NORTH"], *PERIOD, sees_individuals=False)
    genders = {x["group"]: x for x in r.table("by_gender").rows}
    other = sum(1 for g, a in done if g == "other" and a is not None)
    assert 0 < other < 5 and genders["Other"]["n"] is None
    assert genders["Women"]["suppressed"] == "" and genders["Women"]["n"] >= 5
