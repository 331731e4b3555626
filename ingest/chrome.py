"""Site chrome: the lines a news page wraps around a story, as named rules.

Each rule matches a whole line (never part of one) and may pull data out of it: the topic an
alert button names, the copyright holder and year, whether comments were open. A line that no
rule matches stays in the body; rules are deliberately narrow so that a sentence of reporting
that happens to mention "cookies" or "newsletter" is never removed.

To add a rule, add a `_rule(...)` line to `RULES` below (or call `add_rule` at run time);
`ingest/tests/test_textparse.py` shows the cases each rule must and must not match.
"""

import re
from dataclasses import dataclass, field

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)

_COPY = r"(?:copyright\s*(?:©|\(c\))?|©|\(c\))"
_ARR = r"all rights reserved\.?"


@dataclass(frozen=True)
class ChromeRule:
    name: str
    pattern: re.Pattern[str]
    max_length: int = 200
    # What a match says about the story, e.g. {"comments_enabled": False}.
    facts: dict[str, object] = field(default_factory=dict)
    # True for headings after which short lines are lists of chrome (topic names, links).
    starts_list: bool = False


def _rule(
    name: str, pattern: str, max_length: int = 200, *, starts_list: bool = False, **facts: object
) -> ChromeRule:
    return ChromeRule(
        name, re.compile(pattern, re.IGNORECASE), max_length, dict(facts), starts_list
    )


RULES: list[ChromeRule] = [
    _rule(
        "alert_topic",
        r"^(?:get|receive|sign up for) (?:email )?alerts (?:on|for|about) (?P<alert_topic>.+?)"
        r" when (?:a )?new (?:story|stories|article|articles) (?:is|are) published\.?$",
    ),
    _rule(
        "copyright",
        rf"^{_COPY}\s*(?P<year>(?:19|20)\d{{2}})(?:\s*[-–]\s*(?:19|20)\d{{2}})?\s+"
        rf"(?P<holder>[^\d].*?)[.,]?(?:\s*{_ARR})?$",
    ),
    _rule(
        "copyright",
        rf"^{_COPY}\s*(?P<holder>[^\d].*?)[,.]?\s+(?P<year>(?:19|20)\d{{2}})[.,]?(?:\s*{_ARR})?$",
    ),
    _rule("copyright", rf"^copyright\s*(?:©|\(c\))?\s*(?P<holder>[^\d.]+?)(?:[.,]?\s*{_ARR})?$"),
    _rule("copyright", rf"^(?:©|\(c\))\s*(?P<holder>[^\d].*?)[.,]?\s*{_ARR}$"),
    _rule("all_rights_reserved", r"^all rights reserved\.?$"),
    _rule(
        "reuse", r"^(?:reuse|republish|licen[cs]e) this (?:content|article|story)(?:\s*\(.*\))?$"
    ),
    _rule(
        "comments_closed",
        r"^(?:comments (?:have not been|are not|were not) (?:enabled|open|available) "
        r"(?:for|on) this (?:article|story)|comments (?:on this (?:article|story) )?"
        r"(?:are|have been) (?:closed|disabled|turned off))\.?$",
        comments_enabled=False,
    ),
    _rule(
        "comments_open",
        r"^(?:comments|show comments|view comments|(?:read|view|see) (?:all )?\d* ?comments|"
        r"join the (?:conversation|discussion)|leave a comment|add a comment|"
        r"\d+ comments?|comments \(\d+\))$",
        comments_enabled=True,
    ),
    _rule(
        "follow_topics",
        r"^(?:follow the topics in this (?:article|story)|topics in this (?:article|story)|"
        r"(?:related|more on these) topics)$",
        starts_list=True,
    ),
    _rule(
        "share",
        r"^(?:share(?: this (?:article|story|page))?(?: on (?:facebook|twitter|x|linkedin|"
        r"whatsapp|email|bluesky|threads))?|copy link|link copied|print(?: this (?:article|page))?|"
        r"save(?: (?:this )?(?:article|story))?|gift (?:this )?article|email|tweet|facebook|"
        r"twitter|linkedin|whatsapp|pinterest|reddit)$",
    ),
    _rule(
        "newsletter",
        r"^(?:sign up|subscribe|register)\b.{0,120}\b(?:newsletter|briefing|bulletin|emails?|"
        r"inbox)\b.{0,80}$",
        max_length=220,
    ),
    _rule(
        "newsletter",
        r"^.{0,80}\bnewsletter\b.{0,60}\b(?:sign up|subscribe)\b.{0,40}$",
        max_length=160,
    ),
    _rule(
        "cookie",
        r"^.{0,120}\bcookies?\b.{0,160}\b(?:accept|consent|agree|preferences|settings|policy)\b"
        r".{0,120}$",
        max_length=300,
    ),
    _rule(
        "cookie", r"^(?:accept(?: all)?(?: cookies)?|reject all|manage (?:cookies|preferences))$"
    ),
    _rule(
        "related",
        r"^(?:related(?: articles| stories| content| coverage)?|read more|more on this story|"
        r"recommended(?: stories| for you)?|most (?:read|popular|viewed)|latest (?:news|stories)|"
        r"you (?:may|might) also like|more from .{1,40}|explore more|top stories|trending)$",
        starts_list=True,
    ),
    _rule(
        "advert",
        r"^(?:advertisement|advert|sponsored(?: content)?|ad|skip advert|"
        r"story continues below(?: this)? advertisement)$",
    ),
    _rule(
        "listen",
        r"^(?:listen to this (?:article|story)(?:\s*[\d:]+)?|\d+\s*min(?:ute)?s? (?:read|listen)|"
        r"reading time:?\s*\d+\s*min(?:ute)?s?)$",
    ),
    _rule(
        "timestamp",
        rf"^(?:published|updated|last updated|posted|first published)(?: on)?:?\s+"
        rf"(?:\w+day,?\s+)?(?:\d{{1,2}}\s+(?:{MONTHS})\.?|(?:{MONTHS})\.?\s+\d{{1,2}},?)"
        rf"(?:\s+\d{{4}})?[^a-z]{{0,40}}(?:[ap]\.?m\.?)?(?:\s+[A-Z]{{2,4}})?$",
    ),
    _rule("image_source", r"^(?:image|photo|picture)\s+(?:source|caption),?\s*.{0,80}$", 120),
    _rule("skip", r"^(?:skip to (?:main )?content|back to top|close|menu|search)$"),
    _rule(
        "paywall",
        r"^(?:subscribe to (?:read|continue|unlock).{0,80}|already a subscriber\??.{0,40}|"
        r"this article is for subscribers.{0,60})$",
    ),
]

# Short lines after a list-starting heading are chrome too (topic names, related headlines):
# at most this many words each, and the list ends at the first longer line.
LIST_ITEM_MAX_WORDS = 6
HOLDER_MAX_WORDS = 8
LIST_ITEM_FILLER = re.compile(r"^(?:follow|add to myft|\+ ?follow|following)$", re.IGNORECASE)


@dataclass
class ChromeMatch:
    rule: ChromeRule
    groups: dict[str, str]


def _any_rule(rules: list[ChromeRule]) -> re.Pattern[str]:
    """One pattern that matches where any rule might: most lines are body text, and one
    failed match in C is far cheaper than a Python loop over every rule."""
    unnamed = (re.sub(r"\(\?P<\w+>", "(?:", rule.pattern.pattern) for rule in rules)
    return re.compile("|".join(f"(?:{pattern})" for pattern in unnamed), re.IGNORECASE)


_ANY_RULE = _any_rule(RULES)
_LONGEST = max(rule.max_length for rule in RULES)


def add_rule(rule: ChromeRule) -> None:
    """Add a rule at run time (a site-specific line, say); RULES in this module is the default."""
    global _ANY_RULE, _LONGEST
    RULES.append(rule)
    _ANY_RULE, _LONGEST = _any_rule(RULES), max(_LONGEST, rule.max_length)


def match_line(line: str, rules: list[ChromeRule] | None = None) -> ChromeMatch | None:
    """The first rule whose pattern matches this whole line, if any."""
    text = " ".join(line.split())
    if not text:
        return None
    if rules is None and (len(text) > _LONGEST or not _ANY_RULE.match(text)):
        return None
    for rule in rules if rules is not None else RULES:
        if len(text) > rule.max_length:
            continue
        found = rule.pattern.match(text)
        if found:
            groups = {k: v.strip() for k, v in found.groupdict().items() if v}
            if len(groups.get("holder", "").split()) > HOLDER_MAX_WORDS:
                continue  # a sentence that starts with "Copyright", not a copyright line
            return ChromeMatch(rule, groups)
    return None


def is_list_item(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= LIST_ITEM_MAX_WORDS
        and not line.rstrip().endswith((".", "?", "!", ":", ";", '"', "”"))
    ) or bool(LIST_ITEM_FILLER.match(line.strip()))
