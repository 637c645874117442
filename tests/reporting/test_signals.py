# SPDX-License-Identifier: EUPL-1.2
"""Operational indicators over hand-made signals and handovers; answers worked out here, by hand.

Two youths: y1 (16 on 10 January 2026, district WK050501, enrolled in vo) and y2 (21, WK050502). Working days
count the days after the first date up to and including the second, Monday to Friday.
"""

from __future__ import annotations

from datetime import date

import pytest

from services.core.settings import reset_settings
from tests.factories import TestPartner
from tests.reporting.support import (
    BASE,
    ReportWorld,
    cell,
    put_accountability,
    put_handover,
    put_signal,
    youth_id_born,
)

JAN = {"period": "month", "from": "2026-01-01", "to": "2026-01-31"}
FEB = {"period": "month", "from": "2026-02-01", "to": "2026-02-28"}
Y1_BIRTH, Y2_BIRTH = date(2010, 1, 10), date(2005, 1, 10)


@pytest.fixture
def signals(world: ReportWorld) -> ReportWorld:
    world.exact()
    # No "not enrolled anywhere" rules: only the hand-made signals below exist.
    world.env.setenv("GLANSRIJK_EDUCATION_DATA_COMPLETE", "false")
    world.env.setenv("GLANSRIJK_GO_LIVE_DATE", "2025-01-01")
    reset_settings()
    y1 = world.resident(Y1_BIRTH)
    y1.enrol(date(2025, 8, 18))
    world.resident(Y2_BIRTH, district="WK050502")
    world.flush()
    p = world.partners
    one, two = youth_id_born(Y1_BIRTH), youth_id_born(Y2_BIRTH)
    # s1: raised Monday 5 January, acknowledged Wednesday 7 January (2 working days), deadline 12 January.
    put_signal(one, "absence-16h", p.leerplicht.id, date(2026, 1, 5), date(2026, 1, 12), acknowledged=date(2026, 1, 7))
    # s2: raised 20 January, deadline 23 January, acknowledged Monday 2 February: 9 working days, late.
    put_signal(
        one, "long-term-absence", p.leerplicht.id, date(2026, 1, 20), date(2026, 1, 23), acknowledged=date(2026, 2, 2)
    )
    # s3: raised 26 January, deadline 9 February, never acknowledged, escalated 10 February.
    put_signal(
        two,
        "no-startkwalificatie",
        p.doorstroompunt.id,
        date(2026, 1, 26),
        date(2026, 2, 9),
        escalated=date(2026, 2, 10),
    )
    # s4: raised 15 January, dismissed 20 January (no longer open at the end of January); deadline 12 February.
    put_signal(
        two,
        "out-of-view",
        p.municipality.id,
        date(2026, 1, 15),
        date(2026, 2, 12),
        closed=(date(2026, 1, 20), "dismissed"),
    )
    # s5: raised in December, acknowledged 3 December, resolved 15 February.
    put_signal(
        one,
        "absence-16h",
        p.leerplicht.id,
        date(2025, 12, 1),
        date(2025, 12, 8),
        acknowledged=date(2025, 12, 3),
        closed=(date(2026, 2, 15), "resolved"),
    )
    # s6: raised Monday 26 January, deadline 2 February, acknowledged Tuesday 3 February: 6 working days, late.
    put_signal(two, "absence-16h", p.leerplicht.id, date(2026, 1, 26), date(2026, 2, 2), acknowledged=date(2026, 2, 3))
    # y1 has leerplicht as its accountable partner from 5 January on; y2 has none.
    put_accountability(one, p.leerplicht.id, date(2026, 1, 5))
    put_handover(one, p.leerplicht.id, p.doorstroompunt.id, date(2026, 1, 5), date(2026, 1, 9), "accepted")  # 4
    put_handover(one, p.leerplicht.id, p.doorstroompunt.id, date(2026, 1, 12), date(2026, 1, 14), "accepted")  # 2
    put_handover(one, p.leerplicht.id, p.youth_coach.id, date(2026, 1, 12), date(2026, 1, 13), "declined")
    world.refresh(date(2026, 3, 1), date(2025, 12, 31))
    return world


def values(rows: list[dict[str, object]], column: str) -> dict[object, object]:
    return {row[column]: row["value"] for row in rows}


def test_signal_counts(signals: ReportWorld, reader: TestPartner) -> None:
    p = signals.partners
    raised = signals.observations(reader, "signals-raised", **JAN, by="signalType")
    assert cell(raised, signalType="T001")["value"] == 5  # s1, s2, s3, s4, s6
    assert values(raised, "signalType")["absence-16h"] == 2
    assert values(raised, "signalType")["relapse"] == 0
    by_partner = values(signals.observations(reader, "signals-raised", **JAN, by="partner"), "partner")
    # Every partner is listed; those without signals with 0.
    assert set(by_partner) == {"T001", *(partner.id for partner in vars(p).values())}
    assert {k: v for k, v in by_partner.items() if v} == {
        "T001": 5,
        p.leerplicht.id: 3,
        p.doorstroompunt.id: 1,
        p.municipality.id: 1,
    }
    by_district = values(signals.observations(reader, "signals-raised", **JAN, by="district"), "district")
    assert by_district == {"T001": 5, "WK050501": 2, "WK050502": 3, "unknown": 0}
    # Open at the end of January: s1 and s5 acknowledged, s2, s3, s6 open; s4 dismissed.
    assert [r["value"] for r in signals.observations(reader, "signals-open", **JAN)] == [5]
    # At the end of February s5 is resolved: s1, s2, s3, s6.
    assert [r["value"] for r in signals.observations(reader, "signals-open", **FEB)] == [4]
    assert [r["value"] for r in signals.observations(reader, "escalations", **JAN)] == [0]
    assert [r["value"] for r in signals.observations(reader, "escalations", **FEB)] == [1]


def test_acknowledgement_and_handover_times(signals: ReportWorld, reader: TestPartner) -> None:
    # Deadlines in January: s1 (in time), s2 (late) -> 50%. In February: s3, s4, s6, none in time -> 0%.
    january = signals.observations(reader, "acknowledged-in-time", **JAN)
    assert [(r["value"], r["numerator"], r["denominator"]) for r in january] == [(50.0, 1, 2)]
    february = signals.observations(reader, "acknowledged-in-time", **FEB)
    assert [(r["value"], r["numerator"], r["denominator"]) for r in february] == [(0.0, 0, 3)]
    # Acknowledged in January: s1 (2 days); in February: s2 (9) and s6 (6): median 7.5.
    assert [r["value"] for r in signals.observations(reader, "time-to-acknowledge", **JAN)] == [2.0]
    assert [r["value"] for r in signals.observations(reader, "time-to-acknowledge", **FEB)] == [7.5]
    # Accepted in January: 4 and 2 working days -> 3.0, both to the doorstroompunt; the declined one not.
    handovers = signals.observations(reader, "handover-time", **JAN, by="partner")
    # Partners without accepted handovers have no median (no values: suppressed).
    shown = {k: v for k, v in values(handovers, "partner").items() if v is not None}
    assert shown == {"T001": 3.0, signals.partners.doorstroompunt.id: 3.0}
    # Before go-live (GLANSRIJK_GO_LIVE_DATE 2025-01-01) signal-based indicators have no periods.
    early = signals.observations(reader, "signals-raised", period="month", **{"from": "2024-11-01", "to": "2025-01-31"})
    assert [r["period"] for r in early] == ["2025MM01"]


def test_without_accountable_and_absence_rate_as_of_each_month_end(signals: ReportWorld, reader: TestPartner) -> None:
    dec_jan = {"period": "month", "from": "2025-12-01", "to": "2026-01-31"}
    # 31 December: y1 has s5 active and no accountable partner yet (from 5 January); y2 nothing yet.
    # 31 January: y1 has leerplicht; y2 has s3 and s6 active and no accountable partner.
    rows = signals.observations(reader, "youths-without-accountable", **dec_jan, by="district")
    assert {(r["period"], r["district"]): r["value"] for r in rows if r["district"].startswith("WK")} == {
        ("2025MM12", "WK050501"): 1,
        ("2025MM12", "WK050502"): 0,
        ("2026MM01", "WK050501"): 0,
        ("2026MM01", "WK050502"): 1,
    }
    # absence-16h raised in January: s1 (y1), s6 (y2); leerplichtig or kwalificatieplichtig and enrolled on
    # 31 January: y1 only -> 2 / 1 x 1000.
    rate = signals.observations(reader, "absence-16h-rate", **JAN)
    assert [(r["value"], r["numerator"], r["denominator"]) for r in rate] == [(2000.0, 2, 1)]
    # The groups on 31 January: y1 has an accountable partner and an acknowledged signal (in view); y2 an
    # active absence-16h signal (at risk).
    groups = signals.client.get(f"{BASE}/groups", params={"date": "2026-01-31"}, headers=reader.headers).json()
    assert {r["group"]: r["value"] for r in groups["items"]} == {
        "T001": 2,
        "1-in-view": 1,
        "2-out-of-view": 0,
        "3-at-risk": 1,
    }
