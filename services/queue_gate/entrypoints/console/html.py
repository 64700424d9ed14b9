"""The console's HTML: one layout, forms that always carry the CSRF token, every value escaped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from services.queue_gate.entrypoints.console.wording import WORDING, ConsoleWording
from services.queue_gate.entrypoints.templates.language_choice import Language

_STYLE = """
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45;
color:#1b1f24;background:#f4f6f8}
body{margin:0 auto;max-width:72rem;padding:1rem}
h1{font-size:1.4rem;margin:0 0 .5rem}
h2{font-size:1.15rem;margin:1.25rem 0 .5rem}
a{color:#0b57d0}
a:focus,button:focus,input:focus,select:focus{outline:3px solid #b35900;outline-offset:2px}
.skip{position:absolute;left:-999rem}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;margin:.5rem 0}
.who{color:#4a5360;font-size:.9rem}
.notice{background:#fff;border-left:.4rem solid #1a7f37;padding:.5rem 1rem}
.problem{background:#fff;border-left:.4rem solid #b3261e;padding:.5rem 1rem}
.cards{list-style:none;margin:0;padding:0;display:grid;gap:.75rem;
grid-template-columns:repeat(auto-fill,minmax(min(21rem,100%),1fr))}
.cards>li{background:#fff;border:1px solid #d5dae1;border-radius:.4rem;padding:.75rem 1rem}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem .75rem;margin:0}
dt{color:#4a5360}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
form{margin:.5rem 0}
label{display:block;margin:.4rem 0 .1rem;font-weight:600}
label.inline{display:inline}
input,select,button{font:inherit;padding:.35rem .5rem;max-width:100%}
input[type=text],input[type=password],input[type=search],input[type=number],
input[type=datetime-local]{width:100%;box-sizing:border-box}
button{margin-top:.5rem;background:#0b57d0;color:#fff;border:0;border-radius:.3rem;
padding:.45rem 1rem;cursor:pointer}
button.quiet{background:#4a5360}
.hint{color:#4a5360;font-size:.9rem;margin:0}
@media (max-width:24rem){dl{grid-template-columns:minmax(0,1fr);gap:0}dd{margin-bottom:.3rem}}
"""

HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Page:
    """What every console page knows: its language, who is signed in, its CSRF token."""

    language: Language
    operator: str | None = None
    csrf_token: str | None = None
    notice: str | None = None
    problem: str | None = None

    @property
    def words(self) -> ConsoleWording:
        return WORDING[self.language]

    def href(self, path: str, **query: str) -> str:
        return f"{path}?{urlencode({**query, 'lang': self.language.value})}"


def text(value: object) -> str:
    return escape(str(value))


def layout(page: Page, heading: str, body: Iterable[str]) -> str:
    words = page.words
    other = Language.EN if page.language is Language.ID else Language.ID
    return "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{page.language.value}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{text(heading)} · {text(words.title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            f'<a class="skip" href="#content">{text(words.skip_to_content)}</a>',
            "<header>",
            f"<p><strong>{text(words.title)}</strong></p>",
            _navigation(page) if page.operator else "",
            f'<p><a href="?lang={other.value}" lang="{other.value}">'
            f"{text(words.other_language)}</a></p>",
            "</header>",
            '<main id="content">',
            f"<h1>{text(heading)}</h1>",
            f'<p class="notice" role="status">{text(page.notice)}</p>' if page.notice else "",
            f'<p class="problem" role="alert">{text(page.problem)}</p>' if page.problem else "",
            *body,
            "</main>",
            "</body>",
            "</html>",
        ]
    )


def _navigation(page: Page) -> str:
    words = page.words
    links = [
        ("/console", words.regions),
        ("/console/parked", words.parked),
        ("/console/controls", words.controls),
        ("/console/maintenance", words.maintenance),
        ("/console/audit", words.audit),
    ]
    items = "".join(f'<li><a href="{text(page.href(p))}">{text(n)}</a></li>' for p, n in links)
    return (
        f'<nav aria-label="{text(words.title)}"><ul>{items}</ul></nav>'
        f'<p class="who">{text(words.signed_in_as)} <strong>{text(page.operator)}</strong></p>'
        + form(page, "/console/sign-out", [], words.sign_out, quiet=True)
    )


def form(
    page: Page,
    action: str,
    fields: Sequence[str],
    button: str,
    *,
    quiet: bool = False,
    label: str | None = None,
) -> str:
    """A POST form to `action` with the session's CSRF token."""
    token = f'<input type="hidden" name="csrf_token" value="{text(page.csrf_token or "")}">'
    named = f' aria-label="{text(label)}"' if label else ""
    style = ' class="quiet"' if quiet else ""
    return (
        f'<form method="post" action="{text(page.href(action))}"{named}>{token}'
        + "".join(fields)
        + f'<button type="submit"{style}>{text(button)}</button></form>'
    )


def field(
    name: str,
    label: str,
    *,
    kind: str = "text",
    value: str = "",
    required: bool = False,
    hint: str | None = None,
    field_id: str | None = None,
    extra: str = "",
) -> str:
    ident = field_id or name
    hint_id = f"{ident}-hint"
    described = f' aria-describedby="{hint_id}"' if hint else ""
    return (
        f'<label for="{text(ident)}">{text(label)}</label>'
        + (f'<p class="hint" id="{hint_id}">{text(hint)}</p>' if hint else "")
        + f'<input type="{kind}" id="{text(ident)}" name="{text(name)}" value="{text(value)}"'
        + (" required" if required else "")
        + f"{described}{extra}>"
    )


def choice(
    name: str,
    label: str,
    options: Sequence[tuple[str, str]],
    *,
    field_id: str | None = None,
    chosen: str | None = None,
) -> str:
    ident = field_id or name
    rendered = "".join(
        f'<option value="{text(v)}"{" selected" if v == chosen else ""}>{text(shown)}</option>'
        for v, shown in options
    )
    return (
        f'<label for="{text(ident)}">{text(label)}</label>'
        f'<select id="{text(ident)}" name="{text(name)}">{rendered}</select>'
    )
