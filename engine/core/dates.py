"""One strict date type for fact sets, packs and parameter files: `YYYY-MM-DD`, nothing else.

pydantic's own date type is lax: it reads the integer 0 as 1970-01-01 (a Unix timestamp) and
takes date-times. A date in the law or in a fact set is a calendar day written out; anything else
is a mistake to report, not to guess.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def strict_date(value: Any) -> Any:
    """The date written as `value` (a YAML date or a `YYYY-MM-DD` string), else a `bad_date` error.

    None passes through (optional fields decide whether it is allowed)."""
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PydanticCustomError("bad_date", "not a date: write YYYY-MM-DD (a number or a date-time is never read "
                              "as a date)")


StrictDate = Annotated[dt.date, BeforeValidator(strict_date)]
