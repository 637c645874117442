# SPDX-License-Identifier: EUPL-1.2
"""Accountability, escalation, retraction and routing, driven by the rules: facts in through intake, results
out through the signals API (and the database where the invariant itself is the point)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import text

from services.core.calendar import add_working_days
from services.core.clock import local_date
from services.core.db import get_engine
from tests.factories import TestPartner
from tests.signals.support import World, of_type

WEEKS = (date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26), date(2026, 2, 2))


def current_accountable(youth_id: str) -> list[str]:
    with get_engine().connect() as connection:
        rows = connection.execute(
            text("SELECT partner_id FROM accountabilities WHERE youth_id = :y AND until IS NULL"), {"y": youth_id}
        )
        return [str(row.partner_id) for row in rows]


def truant(world: World, birth: date) -> None:
    youth = world.youth(birth)
    youth.enrol(date(2025, 8, 18), sector="mbo", track="mbo-2", grade=2)
    for week in WEEKS:
        youth.absence(week, 4)


def handover(world: World, youth_id: str, sender: TestPartner, receiver: TestPartner) -> dict[str, Any]:
    response = world.client.post(
        f"/signals/v1/youths/{youth_id}/handovers",
        json={"toPartnerId": receiver.id, "reason": "turns 18: the RMC takes over"},
        headers=sender.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def answer(world: World, handover_id: str, receiver: TestPartner, status: str) -> None:
    response = world.client.patch(
        f"/signals/v1/handovers/{handover_id}", json={"status": status, "reason": "ok"}, headers=receiver.headers
    )
    assert response.status_code == 200, response.text


def test_at_most_one_accountable_partner_through_handovers_override_and_the_18th_birthday(world: World) -> None:
    partners = world.partners
    truant(world, date(2008, 2, 9))  # 18 on 9 February 2026
    world.scan(date(2026, 2, 6))
    [absence] = of_type(world.signals(partners.leerplicht), "absence-16h")
    youth_id = absence["youth"]["id"]
    # The first signal routed to leerplicht made it accountable; the school's dropout-risk signal did not.
    assert current_accountable(youth_id) == [partners.leerplicht.id]

    world.scan(date(2026, 2, 9))
    assert len(of_type(world.signals(partners.leerplicht), "handover-due-18")) == 1
    assert current_accountable(youth_id) == [partners.leerplicht.id]

    declined = handover(world, youth_id, partners.leerplicht, partners.doorstroompunt)
    assert current_accountable(youth_id) == [partners.leerplicht.id]  # pending changes nothing
    answer(world, declined["id"], partners.doorstroompunt, "declined")
    assert current_accountable(youth_id) == [partners.leerplicht.id]

    accepted = handover(world, youth_id, partners.leerplicht, partners.doorstroompunt)
    answer(world, accepted["id"], partners.doorstroompunt, "accepted")
    assert current_accountable(youth_id) == [partners.doorstroompunt.id]
    # The new accountable partner sees the youth's signals, marked as such.
    seen = world.signals(partners.doorstroompunt)
    assert {s["relation"] for s in seen if s["type"] == "absence-16h"} == {"accountable"}

    response = world.client.put(
        f"/signals/v1/youths/{youth_id}/accountability",
        json={"partnerId": partners.youth_coach.id},
        headers=partners.municipality.headers,
    )
    assert response.status_code == 200, response.text
    assert current_accountable(youth_id) == [partners.youth_coach.id]

    timeline = world.client.get(f"/signals/v1/youths/{youth_id}", headers=partners.youth_coach.headers).json()
    causes = [(a["partnerId"], a["cause"], a["until"] is None) for a in timeline["accountability"]]
    assert causes == [
        (partners.leerplicht.id, "first-signal", False),
        (partners.doorstroompunt.id, "handover", False),
        (partners.youth_coach.id, "override", True),
    ]
    # Later signals do not move accountability.
    world.scan(date(2026, 2, 20))
    assert current_accountable(youth_id) == [partners.youth_coach.id]


def test_a_youth_with_an_active_medium_signal_and_no_accountable_partner_is_an_escalation(world: World) -> None:
    pupil = world.youth(date(2010, 1, 1))
    pupil.enrol(date(2025, 8, 18), track="vmbo-kb", grade=4, final_year=True)
    world.scan(date(2026, 4, 2))
    [signal] = of_type(world.signals(world.partners.school), "mbo-not-applied")
    assert signal["youth"]["accountablePartnerId"] is None  # routed to a school: no regie
    escalations = world.client.get("/signals/v1/escalations", headers=world.partners.municipality.headers).json()
    assert [y["id"] for y in escalations["youthsWithoutAccountable"]] == [signal["youth"]["id"]]


def test_an_overdue_signal_is_escalated_and_goes_to_the_ketenregisseur(world: World) -> None:
    truant(world, date(2011, 5, 5))
    world.scan(date(2026, 2, 6))
    [signal] = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    assert signal["deadline"] == "2026-02-13"
    world.scan(date(2026, 2, 13))
    assert of_type(world.signals(world.partners.leerplicht), "absence-16h")[0]["escalated"] is False
    world.scan(date(2026, 2, 14))
    [escalated] = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    assert escalated["escalated"] is True and escalated["escalatedAt"] is not None
    escalations = world.client.get("/signals/v1/escalations", headers=world.partners.municipality.headers).json()
    assert [s["id"] for s in escalations["signals"]] == [signal["id"]]


def test_a_handover_unanswered_for_5_working_days_raises_handover_stalled(world: World) -> None:
    truant(world, date(2011, 5, 5))
    world.scan(date(2026, 2, 6))
    [signal] = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    requested = handover(world, signal["youth"]["id"], world.partners.leerplicht, world.partners.youth_coach)
    # The working days count from the Amsterdam date of the request: between 22:00 and 24:00 UTC that is the
    # next day of the UTC time stamp.
    asked_on = local_date(datetime.fromisoformat(requested["requestedAt"]))
    world.scan(add_working_days(asked_on, 4))
    assert of_type(world.signals(world.partners.municipality), "handover-stalled") == []
    world.scan(add_working_days(asked_on, 5))
    [stalled] = of_type(world.signals(world.partners.municipality), "handover-stalled")
    assert stalled["dedupeKey"] == requested["id"]
    escalations = world.client.get("/signals/v1/escalations", headers=world.partners.municipality.headers).json()
    assert [h["id"] for h in escalations["handovers"]] == [requested["id"]]


def test_retracting_every_fact_a_signal_rests_on_dismisses_it(world: World) -> None:
    youth = world.youth(date(2011, 5, 5))
    youth.enrol(date(2025, 8, 18))
    reports = [youth.absence(week, 4) for week in WEEKS]
    world.scan(date(2026, 2, 6))
    [signal] = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    assert signal["status"] == "open"
    for report in reports:
        world.queue(world.partners.school, "event.retracted", {"retractedId": report}, youth.person)
    world.scan(date(2026, 2, 6))
    detail = world.client.get(f"/signals/v1/signals/{signal['id']}", headers=world.partners.leerplicht.headers).json()
    assert detail["status"] == "dismissed"
    assert detail["history"][-1]["reason"]["code"] == "retracted"


def test_without_a_partner_for_the_role_the_municipality_gets_it(world: World) -> None:
    with get_engine().begin() as connection:
        connection.execute(text("DELETE FROM partner_roles WHERE partner_id = :p"), {"p": world.partners.leerplicht.id})
    truant(world, date(2011, 5, 5))
    world.scan(date(2026, 2, 6))
    [signal] = of_type(world.signals(world.partners.municipality), "absence-16h")
    assert signal["routedTo"] == world.partners.municipality.id
    fallback = next(r for r in signal["reasons"] if r["code"] == "no-partner-for-role")
    assert fallback["facts"] == {"role": "leerplicht"}


def test_a_handover_reason_postgres_cannot_store_is_400_naming_it(world: World) -> None:
    truant(world, date(2011, 5, 5))
    world.scan(date(2026, 2, 6))
    [signal] = of_type(world.signals(world.partners.leerplicht), "absence-16h")

    response = world.client.post(
        f"/signals/v1/youths/{signal['youth']['id']}/handovers",
        json={"toPartnerId": world.partners.youth_coach.id, "reason": "turns 18\x00"},
        headers=world.partners.leerplicht.headers,
    )

    assert response.status_code == 400, response.text
    assert [p["name"] for p in response.json()["invalidParams"]] == ["/reason"]
