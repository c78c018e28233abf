"""Text from inputs, made safe to show: no control character reaches a terminal, no echo is huge.

A name or note may carry escaped control characters (`"\\e]0;…\\a"` in YAML, `\\u001b` in JSON)
that a terminal would obey: retitle the window, move the cursor, hide text. Inputs holding them
are refused when they load (`has_control`); whatever still reaches a renderer or an error line is
shown escaped (`printable`). Echoed values are cut to a bounded length (`shorten`).
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls but the tab (the newline only where lines are meaningful), DEL, C1 controls, and the Unicode
# direction overrides and isolates that reorder what a reader sees ("Trojan source")
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_ECHO = 200  # characters of an input value quoted in a message


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def has_control(text: str, *, lines: bool = False) -> bool:
    """Whether `text` holds a control character other than a tab (`lines`: newlines allowed too)."""
    return bool((_CONTROL_KEEP_LINES if lines else _CONTROL).search(text))


def printable(text: str, *, lines: bool = False) -> str:
    """`text` with every control character but the tab written as an escape (\\x1b); `lines`
    keeps newlines (a multi-line report), otherwise they are escaped too (one problem, one line)."""
    return (_CONTROL_KEEP_LINES if lines else _CONTROL).sub(_escape, text)


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """`text` cut to `limit` characters with "…" (and a count of what was left out)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def nfc(text: str) -> str:
    """Unicode NFC: 'Ấp' typed on one keyboard and on another are the same name."""
    return unicodedata.normalize("NFC", text)


__all__ = ["MAX_ECHO", "has_control", "nfc", "printable", "shorten"]
