# SPDX-License-Identifier: EUPL-1.2
"""The calendar: ages, school years, leerplicht, working days and lesweken, as pure functions of dates.

Nothing here reads the database or the clock (`default_region` reads the settings only when called). Each
function's docstring names its legal source; the rules are in spec/domain.md, "Who and when".

- `dates`: ages, 17.5 years, school years, leerplicht (Leerplichtwet 1969 art. 3), kwalificatieplicht (art. 4a).
- `workdays`: working days for deadlines (Algemene termijnenwet art. 3).
- `schoolweeks`: school holidays per region (Rijksoverheid data in `services/core/data/school_holidays.json`)
  and lesweken.
"""

from __future__ import annotations

from services.core.calendar.dates import (
    SchoolYear,
    add_months_clamped,
    age_on,
    birthday_in_year,
    eighteenth_birthday,
    is_kwalificatieplichtig,
    is_leerplichtig,
    kwalificatieplicht_end,
    last_kwalificatieplichtig_day,
    leerplicht_end,
    peildatum_early_leavers,
    school_year_of,
    seventeen_and_a_half,
)
from services.core.calendar.schoolweeks import (
    REGIONS,
    CalendarDataMissing,
    Region,
    SchoolHoliday,
    are_consecutive_lesweken,
    coverage,
    data_covers,
    default_region,
    holiday_on,
    is_holiday_week,
    is_lesweek,
    lesweek_sequence,
    lesweek_windows,
    lesweken_between,
    monday_of,
    next_lesweek,
    previous_lesweek,
    school_holidays,
)
from services.core.calendar.workdays import (
    add_working_days,
    is_working_day,
    kings_day,
    termijnenwet_holidays,
    working_days_between,
)

__all__ = [
    "REGIONS",
    "CalendarDataMissing",
    "Region",
    "SchoolHoliday",
    "SchoolYear",
    "add_months_clamped",
    "add_working_days",
    "age_on",
    "are_consecutive_lesweken",
    "birthday_in_year",
    "coverage",
    "data_covers",
    "default_region",
    "eighteenth_birthday",
    "holiday_on",
    "is_holiday_week",
    "is_kwalificatieplichtig",
    "is_leerplichtig",
    "is_lesweek",
    "is_working_day",
    "kings_day",
    "kwalificatieplicht_end",
    "last_kwalificatieplichtig_day",
    "leerplicht_end",
    "lesweek_sequence",
    "lesweek_windows",
    "lesweken_between",
    "monday_of",
    "next_lesweek",
    "peildatum_early_leavers",
    "previous_lesweek",
    "school_holidays",
    "school_year_of",
    "seventeen_and_a_half",
    "termijnenwet_holidays",
    "working_days_between",
]
