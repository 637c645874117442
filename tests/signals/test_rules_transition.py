# SPDX-License-Identifier: EUPL-1.2
"""The 18-/18+ transition rules at their dates, including a 29 February birthday."""

from __future__ import annotations

from datetime import date

from tests.signals.support import World, of_type


def test_transition_plan_from_17_and_a_half_with_a_29_february_birthday(world: World) -> None:
    # Born 29 February 2008: 17 on 1 March 2025, so 17 years and 6 months on 1 September 2025; 18 on 1 March 2026.
    without_plan = world.youth(date(2008, 2, 29))
    without_plan.care(date(2024, 1, 1))
    with_plan = world.youth(date(2008, 2, 29))
    with_plan.care(date(2024, 1, 1))
    with_plan.plan(date(2025, 6, 1))
    world.scan(date(2025, 8, 31))
    assert of_type(world.signals(world.partners.youth_care), "transition-18-no-plan") == []
    world.scan(date(2025, 9, 1))
    [signal] = of_type(world.signals(world.partners.youth_care), "transition-18-no-plan")
    assert signal["dedupeKey"] == "2026-03-01"
    assert signal["routedTo"] == world.partners.youth_care.id
    # Reasons drawn from care carry their facts for youth care.
    care = next(r for r in signal["reasons"] if r["code"] == "jeugdwet-care")
    assert care["facts"] == {"since": "2024-01-01"}


def test_care_facts_are_hidden_from_a_school_or_leerplicht_accountable_partner(world: World) -> None:
    youth = world.youth(date(2008, 2, 29))
    youth.care(date(2024, 1, 1))
    world.scan(date(2025, 9, 1))
    [signal] = of_type(world.signals(world.partners.youth_care), "transition-18-no-plan")
    # youth care is now accountable; hand the youth over by override to leerplicht and look through its eyes.
    response = world.client.put(
        f"/signals/v1/youths/{signal['youth']['id']}/accountability",
        json={"partnerId": world.partners.leerplicht.id},
        headers=world.partners.municipality.headers,
    )
    assert response.status_code == 200, response.text
    [seen] = world.signals(world.partners.leerplicht)
    assert seen["relation"] == "accountable"
    codes = [r["code"] for r in seen["reasons"]]
    assert "jeugdwet-care" not in codes and "other-domain" in codes
    assert all(r["facts"] is None for r in seen["reasons"] if r["code"] == "other-domain")


def test_care_gap_when_jeugdwet_care_ends_near_18_and_nothing_follows(world: World) -> None:
    # 18 on 15 March 2026; care ended 1 February: nothing from 2 February to 3 March, so "on" 4 March.
    gap = world.youth(date(2008, 3, 15))
    gap.care(date(2023, 1, 1), date(2026, 2, 1))
    followed = world.youth(date(2008, 3, 15))
    followed.care(date(2023, 1, 1), date(2026, 2, 1))
    followed.care(date(2026, 2, 15), framework="wmo")
    world.scan(date(2026, 3, 3))
    assert of_type(world.signals(world.partners.municipality), "transition-18-care-gap") == []
    world.scan(date(2026, 3, 4))
    [signal] = of_type(world.signals(world.partners.municipality), "transition-18-care-gap")
    assert signal["dedupeKey"] == "2026-03-15"
    assert signal["severity"] == "high"


def test_handover_due_on_the_18th_birthday_of_a_leerplicht_youth(world: World) -> None:
    youth = world.youth(date(2008, 2, 9))  # 18 on 9 February 2026
    youth.enrol(date(2025, 8, 18), sector="mbo", track="mbo-2", grade=2)
    for week in (date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26), date(2026, 2, 2)):
        youth.absence(week, 4)
    world.scan(date(2026, 2, 6))
    [absence] = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    assert absence["youth"]["accountablePartnerId"] == world.partners.leerplicht.id
    world.scan(date(2026, 2, 8))
    assert of_type(world.signals(world.partners.leerplicht), "handover-due-18") == []
    world.scan(date(2026, 2, 9))
    [due] = of_type(world.signals(world.partners.leerplicht), "handover-due-18")
    assert due["dedupeKey"] == "2026-02-09"
    assert due["deadline"] == "2026-03-09"  # 20 working days
    # The birthday changes nothing by itself: leerplicht stays accountable until a handover is accepted.
    assert due["youth"]["accountablePartnerId"] == world.partners.leerplicht.id
