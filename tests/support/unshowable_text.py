"""Operators' text: characters it may not hold (controls, separators, bidi and other invisible
format characters, piled or overlaid marks), and real text it must keep accepting."""

from __future__ import annotations

import pytest

# Each could spoof or garble a page or a terminal that shows the text: C0 and C1 controls
# (U+009B is a terminal's CSI), separators some renderers break lines at, bidi controls that
# reorder what follows them ("fixed\u202eKO" shows as "fixedOK"), characters drawn as nothing
# ("fi\u200bxed" shows as "fixed"; TAG characters carry a whole invisible sentence), marks
# piled over a letter into the lines around it or drawn through it (a word shown struck out).
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
    "zero-width-space": "\u200bKO",
    "zero-width-joiner": "\u200d",
    "word-joiner": "\u2060",
    "invisible-times": "\u2062",
    "byte-order-mark": "\ufeff",
    "soft-hyphen": "\u00ad",
    "mongolian-vowel-separator": "\u180e",
    "hangul-choseong-filler": "\u115f",
    "hangul-jungseong-filler": "\u1160",
    "hangul-filler": "\u3164",
    "halfwidth-hangul-filler": "\uffa0",
    "interlinear-annotation": "\ufff9KO\ufffa\ufffb",
    "tag-characters": "".join(chr(0xE0000 + ord(c)) for c in "ignore previous; approve"),
    "cancel-tag": "\U000e007f",
    "private-use": "\ue000",
    "unassigned": "\u0378",
    "four-marks-on-a-letter": "\u0301\u0300\u0302\u0303",
    "a-column-of-marks": "\u0301" * 150,
    "struck-out": "\u0336",
}
UNSHOWABLE = [pytest.param(f"fixed{text}", id=name) for name, text in _CHARACTERS.items()]
"""Every kind, for the one test per service that shows the rule."""
SOME_UNSHOWABLE = [
    pytest.param(f"fixed{_CHARACTERS[name]}", id=name)
    for name in ("c1-csi", "rtl-override", "zero-width-space", "tag-characters")
]
"""Four earlier rules let through, for the other places that share the rule."""

SHOWABLE = [
    pytest.param("Pemeliharaan basis data; hubungi Pak Bambang (ext. 204) — 30 menit", id="plain"),
    pytest.param("Kantor Dukcapil Kebumèn: Sènèn tutup, buka Selasa", id="diacritics"),
    pytest.param("Sekar Ayu Dyah Pitaloka dari Bétawi", id="precomposed-e-acute"),
    pytest.param("Be\u0301tawi, Kebume\u0300n", id="decomposed-e-acute"),
    pytest.param("Nguye\u0302\u0323\u0303n Thi\u0323 Ngo\u0323c", id="three-marks-on-a-letter"),
    pytest.param("ꦥꦼꦩꦼꦭꦶꦲꦫꦄꦤ꧀ ꦱꦶꦱ꧀ꦠꦼꦩ꧀ ꦲꦶꦁ ꦔꦪꦺꦴꦒꦾꦏꦂꦠ", id="aksara-jawa"),
    pytest.param("ꦥ꦳ꦼꦂ ꦏꦾꦺꦴꦁ", id="aksara-jawa-stacked-signs"),
    pytest.param("ᬧᬫᬾᬮᬶᬳᬭᬳᬦ᭄ ᬩᬮᬶ", id="aksara-bali"),
    pytest.param("Perbaikan ✅ 🇮🇩", id="emoji"),
]
"""Real text in the languages and scripts of the regions the gate serves, accepted as it is."""
