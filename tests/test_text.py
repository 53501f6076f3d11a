"""The feed's words (``hmis_schedule/text.py``): every public holiday name has its Spanish.

The ``holidays`` package names United States holidays in English only, so
the feed's catalog translates each name it can give, for every state and
territory; a newer release that adds a name fails here until the catalog
has it.
"""

from __future__ import annotations

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hmis_schedule import text

OBSERVED = " (observed)"


def us_holiday_names(years: range) -> set[str]:
    """Every public holiday name the installed package gives for the United States in ``years``."""
    names: set[str] = set()
    for subdivision in holidays.US.subdivisions:
        for name in holidays.country_holidays("US", subdiv=subdivision, years=years).values():
            names |= {part.removesuffix(OBSERVED) for part in name.split("; ")}
    return names


def test_every_us_holiday_name_is_in_the_list_the_catalog_translates() -> None:
    missing = us_holiday_names(range(2020, 2046)) - set(text.HOLIDAY_NAMES)
    assert not missing, f"add to text.HOLIDAY_NAMES, then `make messages` and translate: {sorted(missing)}"


@given(st.sampled_from(sorted(holidays.US.subdivisions)), st.integers(2020, 2045))
def test_a_state_holiday_reads_spanish_in_a_spanish_feed(subdivision: str, year: int) -> None:
    for day, name in holidays.country_holidays("US", subdiv=subdivision, years=year).items():
        spanish = text.holiday_name(name, "es")
        for part in name.split("; "):
            english = part.removesuffix(OBSERVED)
            if english != "Diwali":
                assert english not in spanish.split("; "), (subdivision, day, name, spanish)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Election Day", "Día de Elecciones"),
        ("Casimir Pulaski Day", "Día de Casimir Pulaski"),
        ("Independence Day (observed)", "Día de la Independencia (día feriado observado)"),
    ],
)
def test_holiday_names_in_spanish(name: str, expected: str) -> None:
    assert text.holiday_name(name, "es") == expected
