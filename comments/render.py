"""A comment as typed → safe HTML: paragraphs, line breaks, links; anything else inert.

Readers write plain text. Bare URLs become links; whatever HTML they type goes through nh3's
allow-list, so script, event attributes, `javascript:` URLs and SVG never reach a page. Links
carry rel="nofollow ugc noopener" so comments lend no ranking and no window access.
"""

import re

import nh3

TAGS = {"p", "br", "a", "em", "strong", "i", "b", "blockquote", "code"}
ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"
# A URL that is not already inside a tag's attribute or an <a>…</a> the reader wrote.
_BARE_URL = re.compile(r"""(?<![="'>/\w])(https?://[^\s<>"']+[^\s<>"'.,;:!?)\]])""")


def render_comment(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    html = "".join(
        "<p>" + _BARE_URL.sub(r'<a href="\1">\1</a>', p).replace("\n", "<br>") + "</p>"
        for p in paragraphs
    )
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        clean_content_tags={"script", "style", "svg", "math", "iframe", "object", "template"},
    )
