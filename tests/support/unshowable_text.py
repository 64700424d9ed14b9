"""Characters an operator's text may not hold: controls, line separators, bidi controls."""

from __future__ import annotations

import pytest

# Each could spoof or garble a page or a terminal that shows the text: C0 and C1 controls
# (U+009B is a terminal's CSI), separators some renderers break lines at, and bidi controls
# that reorder what follows them ("fixed\u202eKO" shows as "fixedOK").
_CHARACTERS = {
    "nul": "\u0000",
    "escape": "\u001b[2J",
    "delete": "\u007f",
    "c1-next-line": "\u0085",
    "c1-csi": "\u009b31m",
    "line-separator": "\u2028",
    "paragraph-separator": "\u2029",
    "ltr-embedding": "\u202a",
    "rtl-override": "\u202eKO",
    "rtl-isolate": "\u2067",
    "pop-isolate": "\u2069",
    "rtl-mark": "\u200f",
    "arabic-letter-mark": "\u061c",
}
UNSHOWABLE = [pytest.param(f"fixed{text}", id=name) for name, text in _CHARACTERS.items()]
"""Every kind, for the one test per service that shows the rule."""
SOME_UNSHOWABLE = [
    pytest.param(f"fixed{_CHARACTERS[name]}", id=name) for name in ("c1-csi", "rtl-override")
]
"""Two the old rule let through, for the other places that share the rule."""
