"""HTML page → structured story. Pure: no Django, no I/O.

trafilatura finds the main text. Our own pass over the same lxml tree, made first because
trafilatura prunes the tree as it works, reads what trafilatura drops or leaks: the lead
figure's caption and credit, `og:` and JSON-LD `NewsArticle` metadata, and the page chrome
(alert topic, copyright, comment status) that `ingest.chrome` recognises.
"""

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from ingest import chrome
from ingest.credits import Credit, find_credit, split_credit, split_dateline
from ingest.textparse import (
    BYLINE,
    Boilerplate,
    ParsedStory,
    fill_body_dateline,
    normalise,
    paragraphs_of,
    record_facts,
    remove_chrome,
)

ARTICLE_TYPES = {
    "NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
    "OpinionNewsArticle", "BackgroundNewsArticle", "LiveBlogPosting", "Report",
}  # fmt: skip
CHROME_TAGS = {"p", "div", "span", "a", "button", "li", "h2", "h3", "h4", "h5", "h6", "small",
               "label", "summary", "strong", "em", "time"}  # fmt: skip
# Containers hold chrome only as their own text: a div of paragraphs is read paragraph by paragraph.
CONTAINER_TAGS = {"div", "section", "aside", "footer", "header", "nav", "ul", "ol", "form"}
_BLOCK_CHILDREN = CHROME_TAGS | CONTAINER_TAGS
CHROME_TEXT_MAX = 300
CREDIT_CLASS = re.compile(r"credit|copyright|byline|author|source", re.IGNORECASE)
# The standfirst's usual class names, for pages without a description in their metadata.
STANDFIRST_CLASS = re.compile(
    r"(?:^|[\s_-])(?:standfirst|dek|subhead(?:line)?|sub-?title|lede|intro)(?:$|[\s_-])", re.I
)
TITLE_SEPARATORS = re.compile(r"\s+[|–—-]\s+")


class ExtractionError(ValueError):
    pass


def extract_html(html: str, url: str | None = None) -> ParsedStory:
    tree = load_html(normalise(html))
    if tree is None:
        raise ExtractionError("not an HTML document: no element could be parsed")
    story = ParsedStory(url=url)
    meta = _metadata(tree)
    _read_chrome(tree, story)
    _read_figure(tree, story)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=False,
        with_metadata=False,
    )
    text = getattr(document, "text", None) or ""
    _fill_body(text, story)
    _apply_metadata(meta, story, document)
    fill_body_dateline(story)
    return story


def _fill_body(text: str, story: ParsedStory) -> None:
    facts = ParsedStory()
    lines = [" ".join(line.split()) for line in text.split("\n")]
    paragraphs = paragraphs_of(remove_chrome(lines, facts))
    # Captions and credits that trafilatura kept are not body text.
    leaked = {story.image.caption, story.image.display_caption, story.image.credit}
    story.body = [p for p in paragraphs if p not in leaked and not _only_credit(p)]
    known = {(b.line, b.rule) for b in story.boilerplate}
    story.boilerplate += [b for b in facts.boilerplate if (b.line, b.rule) not in known]


def _only_credit(paragraph: str) -> bool:
    """ "Photograph: NAME/AGENCY" standing alone, where a page put the credit in its own block."""
    if len(paragraph) > 160:
        return False
    found = find_credit(paragraph)
    return found is not None and not found[0].strip(" .")


def _iter_blocks(tree: HtmlElement) -> Iterator[tuple[HtmlElement, str]]:
    """Short texts of elements that could hold one chrome line each."""
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag not in CHROME_TAGS:
            continue
        if element.tag == "div" and any(
            isinstance(child.tag, str) and child.tag in _BLOCK_CHILDREN for child in element
        ):
            continue
        text = " ".join(element.text_content().split())
        if text and len(text) <= CHROME_TEXT_MAX:
            yield element, text


def _read_chrome(tree: HtmlElement, story: ParsedStory) -> None:
    seen: set[str] = set()
    for element, text in _iter_blocks(tree):
        if text in seen:
            continue
        seen.add(text)
        found = chrome.match_line(text)
        if found is None:
            continue
        story.boilerplate.append(Boilerplate(text, found.rule.name))
        record_facts(found, story)
        if found.rule.name == "follow_topics":
            story.topic_hints += _list_after(element)


def _list_after(heading: HtmlElement) -> list[str]:
    """Topic names in the list that follows a "Follow the topics" heading."""
    container = heading.getparent()
    names: list[str] = []
    for _ in range(3):  # the list is usually a sibling of the heading or of its parent
        if container is None:
            break
        for tag in ("a", "li"):  # links name topics exactly; list items may add button text
            for item in container.iter(tag):
                text = " ".join(item.text_content().split())
                if (
                    chrome.is_list_item(text)
                    and not chrome.LIST_ITEM_FILLER.match(text)
                    and chrome.match_line(text) is None
                    and text not in names
                ):
                    names.append(text)
            if names:
                return names
        container = container.getparent()
    return names


def _figures(tree: HtmlElement) -> Iterator[tuple[HtmlElement, HtmlElement]]:
    """(img, caption) pairs: proper figures first, then an image followed by a caption block."""
    scope = next(iter(tree.xpath("//article | //main")), tree)
    for figure in scope.iter("figure"):
        images, captions = figure.xpath(".//img"), figure.xpath(".//figcaption")
        if images and captions:
            yield images[0], captions[0]
    for caption in scope.xpath(".//*[contains(@class, 'caption')]"):
        images = caption.xpath("preceding::img[1]")
        if images:
            yield images[0], caption


def _read_figure(tree: HtmlElement, story: ParsedStory) -> None:
    for image, caption in _figures(tree):
        credit_text = None
        for element in caption.iter():
            if isinstance(element.tag, str) and CREDIT_CLASS.search(element.get("class", "")):
                credit_text = " ".join(element.text_content().split())
                break
        full = " ".join(caption.text_content().split())
        display = full
        credit: Credit | None = None
        if credit_text:
            display = full.replace(credit_text, "").strip()
            # "Photograph: NAME/AGENCY" and "© NAME" read as in captions; a bare credit as it is.
            labelled = find_credit(credit_text)
            credit = labelled[1] if labelled else split_credit(credit_text)
        else:
            found = find_credit(full)
            credit = found[1] if found else None
            display = found[0] if found else full
        long_caption = image.get("title") or image.get("data-caption")
        story.dateline, _ = split_dateline(long_caption or display)
        story.image.caption = long_caption or full
        story.image.display_caption = display or None
        src = image.get("src") or image.get("data-src")
        story.image.url = urljoin(story.url or "", src) if src else None
        story.image.alt_text = image.get("alt")
        if credit is not None:
            story.image.credit = credit.credit
            story.image.photographer = credit.photographer
            story.image.agency = credit.agency
        return


def _metadata(tree: HtmlElement) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        if key and element.get("content") and key.lower() not in meta:
            meta[key.lower()] = " ".join(element.get("content").split())
    for link in tree.xpath("//link[@rel='canonical'][@href]"):
        meta.setdefault("canonical", link.get("href"))
    # A page lists its topics in several article:tag properties, one per tag.
    meta["tags"] = [
        " ".join(e.get("content").split())
        for e in tree.xpath("//meta[@property='article:tag'][@content]")
        if e.get("content").strip()
    ]
    meta["standfirst"] = next(
        (
            " ".join(e.text_content().split())
            for e in tree.iter("p", "div", "h2")
            if STANDFIRST_CLASS.search(e.get("class", "")) and e.text_content().strip()
        ),
        None,
    )
    meta["rel_author"] = [
        " ".join(a.text_content().split())
        for a in tree.xpath("//a[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]")
        if a.text_content().strip()
    ]
    h1 = tree.xpath("//h1")
    if h1:
        meta["h1"] = " ".join(h1[0].text_content().split())
    title = tree.xpath("//title")
    if title:
        meta["title"] = " ".join(title[0].text_content().split())
    meta["ld"] = _json_ld_article(tree)
    return meta


def _json_ld_article(tree: HtmlElement) -> dict[str, Any]:
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text_content() or "null")
        except ValueError:
            continue  # a broken JSON-LD block is common; the page's other metadata still counts
        for item in _walk_ld(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if ARTICLE_TYPES.intersection(k for k in kinds if isinstance(k, str)):
                return item
    return {}


def _walk_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_ld(item)
    elif isinstance(data, dict):
        yield data
        yield from _walk_ld(data.get("@graph", []))


def _ld_names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _ld_names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _ld_names(item)]
    return []


def _ld_url(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _ld_url(value.get("url") or value.get("contentUrl"))
    if isinstance(value, list) and value:
        return _ld_url(value[0])
    return None


def _apply_metadata(meta: dict[str, Any], story: ParsedStory, document: Any) -> None:
    ld = meta["ld"]
    site = meta.get("og:site_name") or next(iter(_ld_names(ld.get("publisher"))), None)
    story.site_name = site
    headline = (
        ld.get("headline")
        or meta.get("h1")
        or _strip_site(meta.get("og:title") or meta.get("title"), site)
        or getattr(document, "title", None)
    )
    story.headline = " ".join(str(headline).split()) if headline else None
    standfirst = (
        ld.get("description")
        or meta.get("og:description")
        or meta.get("description")
        or meta["standfirst"]
    )
    story.standfirst = " ".join(str(standfirst).split()) if standfirst else None
    authors = (
        _ld_names(ld.get("author"))
        or [a for a in (meta.get("article:author"), meta.get("author")) if a and "://" not in a]
        or meta["rel_author"]
    )
    story.byline = (
        " and ".join(dict.fromkeys(authors))
        or _body_byline(story)
        or getattr(document, "author", None)
    )
    _drop_top_matter(story)
    story.topic_hints = list(
        dict.fromkeys([*story.topic_hints, *meta["tags"], *_keywords(ld.get("keywords"))])
    )
    story.published_at = (
        ld.get("datePublished")
        or meta.get("article:published_time")
        or meta.get("date")
        or getattr(document, "date", None)
    )
    story.canonical_url = meta.get("canonical") or meta.get("og:url") or story.url
    if story.image.url is None:
        story.image.url = _ld_url(ld.get("image")) or meta.get("og:image")
    holder = next(iter(_ld_names(ld.get("copyrightHolder"))), None)
    if holder:
        story.copyright_holder = holder
    if ld.get("copyrightYear") and str(ld["copyrightYear"]).isdigit():
        story.copyright_year = int(ld["copyrightYear"])


def _drop_top_matter(story: ParsedStory) -> None:
    """The headline, standfirst and By line that trafilatura left at the top of the text."""
    while story.body:
        first = story.body[0]
        if first in (story.headline, story.standfirst):
            story.body.pop(0)
        elif story.byline and BYLINE.match(first) and len(first.split()) <= 14:
            story.boilerplate.append(Boilerplate(story.body.pop(0), "byline"))
        else:
            return


def _body_byline(story: ParsedStory) -> str | None:
    """A "By NAME" line at the top of the text, when the page's markup names nobody."""
    for paragraph in story.body[:3]:
        found = BYLINE.match(paragraph)
        if found and len(paragraph.split()) <= 14:
            story.body.remove(paragraph)
            story.boilerplate.append(Boilerplate(paragraph, "byline"))
            return found.group("byline").strip(" ,")
    return None


def _keywords(value: Any) -> list[str]:
    """JSON-LD keywords: a list of names, or one comma-separated string."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    names = (" ".join(str(v).split()) for v in value if isinstance(v, str | int))
    return [name for name in names if name and len(name) <= 100]


def _strip_site(title: str | None, site: str | None) -> str | None:
    """ "Headline | Site" → "Headline"."""
    if not title:
        return None
    parts = TITLE_SEPARATORS.split(title)
    if len(parts) > 1 and (site is None or site.lower() in parts[-1].lower()):
        return " – ".join(parts[:-1])
    return title
