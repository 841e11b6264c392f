"""The staff pages' template helpers: what a list renders once a row, written in Python for speed."""

from __future__ import annotations

from datetime import UTC, datetime

from api.web.rendering import environment
from workflow.i18n import collation_key


def _render(source: str, **context: object) -> str:
    return environment().from_string(source).render(locale="sv", **context)


def test_select_options_escape_the_names_and_mark_only_the_chosen_one() -> None:
    rows = [{"id": 1, "name": 'Vård & Omsorg "Syd" <AB>'}, {"id": 2, "name": "Norr"}]
    html = _render("{{ options(rows, 2) }}", rows=rows)
    assert html == (
        '<option value="1">Vård &amp; Omsorg &#34;Syd&#34; &lt;AB&gt;</option><option value="2" selected>Norr</option>'
    )
    assert "selected" not in _render("{{ options(rows, None) }}", rows=rows)


def test_select_options_show_the_field_they_are_told_to() -> None:
    assert _render('{{ options(rows, 7, "display_name") }}', rows=[{"id": 7, "display_name": "Anna"}]) == (
        '<option value="7" selected>Anna</option>'
    )


def test_a_case_link_names_the_case_type_in_swedish_and_escapes_the_title() -> None:
    html = _render("{{ case_link(12, 'deviation', title) }}", title="<b>Brand</b>")
    assert html == '<a href="/arenden/12">Avvikelse 12</a><br><span class="muted">&lt;b&gt;Brand&lt;/b&gt;</span>'
    assert _render("{{ case_link(12, 'deviation', None) }}") == '<a href="/arenden/12">Avvikelse 12</a>'


def test_lateness_counts_calendar_days_in_stockholm() -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    late = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # due at midnight starting 5 December in Stockholm
    assert _render("{{ lateness(d, now) }}", d=late, now=now) == '<span class="tag tag--late">3 dagar försenad</span>'
    today = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # midnight starting 8 December: due on the 7th
    assert _render("{{ lateness(d, now) }}", d=today, now=now) == '<span class="tag tag--soon">Sista dag i dag</span>'


def test_a_dict_row_is_read_by_key_and_an_object_by_attribute() -> None:
    class Row:
        name = "object"

    assert _render("{{ a.name }} {{ b.name }} {{ a.missing is defined }}", a={"name": "dict"}, b=Row()) == (
        "dict object False"
    )


def test_swedish_alphabetical_order_puts_a_ring_a_umlaut_and_o_umlaut_after_z_and_ignores_case() -> None:
    words = ["Östra", "Avvikelse", "ärende", "Åtgärd", "zon", "Émile", "ekonomi", "Ängel"]
    assert sorted(words, key=lambda w: collation_key("sv", w)) == [
        "Avvikelse",
        "ekonomi",
        "Émile",
        "zon",
        "Åtgärd",
        "Ängel",
        "ärende",
        "Östra",
    ]
    assert sorted(["Zebra", "Ärende", "apple"], key=lambda w: collation_key("en", w)) == ["apple", "Ärende", "Zebra"]


def test_case_types_are_listed_by_their_swedish_names_and_states_in_the_order_cases_pass_them() -> None:
    rows = [
        {"case_type": "follow_up", "status": "in_progress"},
        {"case_type": "audit_measure", "status": "in_progress"},
        {"case_type": "follow_up", "status": "planned"},
        {"case_type": "complaint", "status": "received"},
    ]
    html = _render("{% for r in rows|by_case_type %}{{ r.case_type }}/{{ r.status }} {% endfor %}", rows=rows)
    # Klagomål, Uppföljning (planerad before pågår), Åtgärd i yttrande
    assert html == "complaint/received follow_up/planned follow_up/in_progress audit_measure/in_progress "
    codes = ["rectification_request", "agreement", "deviation", "audit_measure"]
    assert _render('{{ codes|alphabetical("case type")|join(",") }}', codes=codes) == (
        "agreement,deviation,rectification_request,audit_measure"  # Avtal, Avvikelse, Begäran om …, Åtgärd i …
    )
