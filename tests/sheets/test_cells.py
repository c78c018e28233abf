"""The cell grammar: exact numbers, bounds, percentages, yes/no, dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from ntmcert.sheets.cells import CellError, bound, date, number, partial_date, percent_value, yes_no


class TestCells:
    def test_numbers_are_exact(self):
        assert number(85.78) == Decimal("85.78") and number(1508.0) == 1508 and number("1508") == 1508
        assert number("85,78") == Decimal("85.78")
        for bad, code in (("1,508", "cell_ambiguous_number"), ("abc", "cell_bad_number"), (True, "cell_bad_number"),
                          ("1e999999", "cell_bad_number"), (float("nan"), "cell_bad_number")):
            with pytest.raises(CellError) as exc:
                number(bad)
            assert exc.value.code == code, bad

    def test_bounds_and_percentages(self):
        assert bound(">90", percent=True) == {"gt": 90}
        assert bound("≥ 90%", percent=True) == {"ge": 90}
        assert bound("<=90", percent=True) == {"le": 90}
        assert bound(">=80 <90", percent=True) == {"ge": 80, "lt": 90}
        assert bound("trên 90%", percent=True) == {"gt": 90}
        assert bound("từ 95% trở lên", percent=True) == {"ge": 95}
        assert bound("90", percent=True) is None
        with pytest.raises(CellError):
            bound(">=90%", percent=False)
        with pytest.raises(CellError):
            bound(">90 >80", percent=True)
        assert percent_value(0.9, True) == 90 and percent_value(0.8578, True) == Decimal("85.78")
        assert percent_value("85.78%", False) == Decimal("85.78") and percent_value(90, False) == 90

    def test_yes_no_and_dates(self):
        for word in ("có", "Có", "true", "yes", "1", "đạt", "ĐẠT", True, 1):
            assert yes_no(word) is True, word
        for word in ("không", "false", "no", "0", "không đạt", "chưa đạt", False, 0):
            assert yes_no(word) is False, word
        with pytest.raises(CellError):
            yes_no("có lẽ")
        assert date("2024-08-31") == date("31/08/2024") == date(dt.datetime(2024, 8, 31)) == dt.date(2024, 8, 31)
        for bad in ("31/02/2024", "2024-13-01", "hôm qua", dt.datetime(1905, 7, 15)):
            with pytest.raises(CellError):
                date(bad)
        assert partial_date(2023) == "2023" and partial_date("2023-05") == "2023-05"
        assert partial_date(dt.datetime(2024, 2, 6)) == dt.date(2024, 2, 6)


