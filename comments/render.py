"""A comment as typed → safe HTML. Comments are plain text: what a reader types is shown as they
typed it (so `Use the <script> tag` reads as written), bare URLs become links, a blank line starts
a new paragraph. No markup of the reader's ever reaches a page; nh3 checks the result once more.
Links carry rel="nofollow ugc noopener" so comments lend no ranking and no window access.
"""

import html
import re
import unicodedata

import nh3

HINT = "Plain text; links become clickable and a blank line starts a new paragraph."
LINK_REL = "nofollow ugc noopener"
_URL = re.compile(r"""https?://[^\s<>"']+[^\s<>"'.,;:!?)\]]""")
# Zero-width and direction-override characters make a comment look blank or read backwards.
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn"}


def clean_text(text: str) -> str:
    """The text as stored: newlines normalised, invisible and control characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _INVISIBLE
    ).strip()


def _paragraph(text: str) -> str:
    out, start = [], 0
    for match in _URL.finditer(text):
        out.append(html.escape(text[start : match.start()], quote=False))
        url = html.escape(match.group(), quote=True)
        out.append(f'<a href="{url}">{url}</a>')
        start = match.end()
    out.append(html.escape(text[start:], quote=False))
    return "<p>" + "".join(out).replace("\n", "<br>") + "</p>"


def render_comment(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", clean_text(text)) if p.strip()]
    return nh3.clean(
        "".join(_paragraph(p) for p in paragraphs),
        tags={"p", "br", "a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
    )
