"""Text → ranked topics: the recipe, step by step.

1. lay the story out as one text (headline, standfirst, paragraphs) so the model runs once;
2. find registry topics (gazetteer) and named entities (spaCy NER, when loaded);
3. let a longer entity beat a registry hit inside it ("Bank of England" is not England);
4. turn each mention into a name: titles, possessives and "the" cut, credits and dates out;
5. join the mentions of one topic: surnames to full names, acronyms to what they stand for;
6. weigh each topic by where and how widely it is mentioned, then pick roles.
"""

import bisect
import copy
import html
import logging
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import ahocorasick

from topics.tagging.gazetteer import Entry, Gazetteer, Hit
from topics.tagging.quotes import Quote, Speaker, find_quotes
from topics.tagging.salience import Salience
from topics.tagging.text import (
    PERSON_TITLES,
    ROLE_KINDS,
    TITLE_WORDS,
    WEAK_PERSON_ROLES,
    ascii_lower,
    clean_name,
    company_role,
    expand_prefix,
    fold,
    initials,
    is_acronym,
    is_noise_word,
    is_storm,
    kind_from_words,
    place_first,
    rank_words,
)

__all__ = ["Article", "Candidate", "Entry", "Tagger"]

log = logging.getLogger(__name__)

# "thing": an event, product, work or law the model names ("the 2014 Winter Paralympics",
# "Soyuz TMA-19"): ranked like the other names, and a theme once it leaves the tagger.
KINDS = {
    "PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place", "FAC": "place",
    "EVENT": "thing", "PRODUCT": "thing", "WORK_OF_ART": "thing", "LAW": "thing",
}  # fmt: skip
ZONE_WEIGHT = {"headline": 3.0, "standfirst": 2.0, "lead": 1.5, "body": 1.0}
KIND_WEIGHT = {"person": 1.0, "organisation": 1.0, "place": 0.75, "theme": 0.8, "thing": 0.8}
SPEAKER_BONUS = 0.5
QUOTE_WEIGHT = 0.5  # per direct quote a person or organisation is the speaker of
# "NAIROBI — …": where the reporter filed from, not what the story is about.
DATELINE_WEIGHT = 0.25
ABOUT_SALIENCE = 0.3  # below it, and never in headline or standfirst: a passing mention
CURATED_PRIMARY_SHARE = 0.8
# A topic the page itself lists ("Follow the topics in this article", article:tag, keywords)
# is one the story is about, at least this salient, even where the text names it once.
LISTED_SALIENCE = 0.5
THEME_MIN_SCORE = 2.0  # two keywords in the body, or one in the headline
THEME_SALIENCE = 0.2  # the most a theme's salience may be (see _rank)
AGENCIES = frozenset(
    fold(name)
    for name in (
        "Reuters", "AP", "Associated Press", "AFP", "Agence France-Presse", "Getty Images",
        "Getty", "PA", "PA Media", "PA Wire", "EPA", "EPA-EFE", "Xinhua", "DPA", "EFE", "ANSA",
        "UPI", "Alamy", "Shutterstock", "Anadolu", "AP Photo", "Reuters Pictures",
    )
)  # fmt: skip
_CALENDAR = re.compile(
    r"^(?:mon|tues|wednes|thurs|fri|satur|sun)day$|^(?:january|february|march|april|may|june|july"
    r"|august|september|october|november|december)$|^(?:today|yesterday|tomorrow)$",
    re.I,
)
# A clock's zone after its time ("08:30 BST", "7pm GMT") and a degree ("a PhD", "an MBA
# student"): never what a story is about. UTC and the MBA may also be companies; MSC is one.
_ZONE = re.compile(r"(?:GMT|BST|UTC|CET|CEST|EET|EEST|EST|EDT|CST|CDT|MST|MDT|PST|PDT|AEST|AEDT)")
_ZONE_BEFORE = re.compile(r"(?:\d(?: ?[ap]\.?m\.?)?|\bnoon|\bmidnight) \(?$", re.I)
_DEGREE = re.compile(r"(?:PhD|Ph\.D\.?|DPhil)")
_MAYBE_DEGREE = re.compile(r"(?:MBA|MSc|BSc)")
_DEGREE_BEFORE = re.compile(r"\b(?:an?|his|her|their|my) $", re.I)
_DEGREE_AFTER = re.compile(r" (?:student|degree|course|programme|program|graduate)")


def _is_clock_or_degree(text: str, start: int, end: int, name: str) -> bool:
    before = text[max(0, start - 12) : start]
    if _ZONE.fullmatch(name):
        return bool(_ZONE_BEFORE.search(before))
    if _MAYBE_DEGREE.fullmatch(name):
        return bool(_DEGREE_BEFORE.search(before) or _DEGREE_AFTER.match(text, end))
    return _DEGREE.fullmatch(name) is not None


_SPEECH = re.compile(r"^[,\s]*(?:has |had |have )?(?:said|says|say|told|added|warned|argued)\b")
_SPOKE = re.compile(
    r"[,\s]*(?:said|says|told|added|exclaimed|commented|explained|insisted|replied|admitted)\b"
)
_BY_SOMEONE_OF = re.compile(r"\bby (?:[A-Z][\w'.-]* ){1,3}of $")
_SPEECH_BEFORE = re.compile(r"\b(?:said|says|told|added|according to)[\s,]*$")
# "in Kenya", "at the Port of Elsby": the headline's setting, rarely its subject.
_SETTING_BEFORE = re.compile(
    r"\b(?:in|at|near|from|off|across|outside|inside|into|to|for|over|on)\s+(?:the\s+)?$", re.I
)
_YEAR = re.compile(r"^(?:the )?(?:\d{4} )?")
# Titles too loose to point at one person ("the former", "the acting", "the chief").
_VAGUE_TITLES = frozenset({"former", "acting", "deputy", "chief", "star", "leader", "chair"})
# How the registry's demonym aliases end ("Kenyan", "Kenyans", "Japanese", "Polish", "Iraqi",
# "Thai"); a country's other names ("Britain", "Holland") do not.
_DEMONYM = re.compile(r"(?:an|ans|ese|ish|i|is|ic|ch|ot|ots)$")
# Kind evidence from the words around a mention (see _cue).
_ROLE_BEFORE = re.compile(r"\b([A-Za-z]+)(,?) $")
# Honorifics that, in lower case, are verbs or other words.
_LOWER_VERBS = frozenset({"miss", "mr", "mrs", "ms", "dr"})  # not "drug lord", "dinner lady"
# A verb straight after a name: the name is the next clause's subject.
_VERB_NEXT = re.compile(r" (?!and\b|or\b)[a-z]")
_PLACE_OF = re.compile(
    r"\b(?:city|town|village|province|district|county|region|island|state|port) of $", re.I
)
# "he founded Hesco Bastion": what one founds is a body. Not "the co-founder of": the model
# runs "Apple Steve Jobs" into one name after it.
_FOUNDED = re.compile(r"\b(?:co-?)?founded\s+(?:the\s+)?$", re.I)
# ", a Russian oil company"; ", the company's founder"; ", Israel's ambassador to the UN",
# ", NYT company chairman": the last role word of the phrase, before its "of", "to" or comma.
_APPOSITION = re.compile(
    r"^, (?:(?:a|an|the) |(?=[A-Z]))((?:(?:[A-Z]\.)+|[\w'-]+)(?: (?:(?:[A-Z]\.)+|[\w'-]+)){0,5}?)"
    r"(?=[,.;:()\n]| (?:of|to|in|at|for|"
    r"from|with|who|which|that|and|said|says)\b|$)"
)
# "the Crimea region", "Helmand province": a name that an administrative word follows.
_PLACE_AFTER = re.compile(
    r"^ (?:region|province|district|county|oblast|governorate|prefecture|peninsula|valley)"
    r"(?:[,.;:)]|$| (?:of|in|on|and|where|which|that|near)\b)"
)
_PLACE_AFTER_LEAD = re.compile(r"(?:^|\b(?:the|in|of|from|to|across|near))\s$", re.I)
_LIST_NEXT = re.compile(r"(?:,| and) [A-Z]")
_CLAUSE_END = re.compile(r"[,.;:)\n]|$")
_AGE_AFTER = re.compile(r"^(?:, \d{1,3},| \(\d{1,3}\)|, who\b)")
_NEAR_BEFORE = re.compile(r"\b(?:near|outside|in|across) $")
# "shares in Brightwave", "faith in Corvane": what one owns a part of, or believes in, is no
# place (but "interest in Dunmore", "confidence in Harlow" may be).
_HELD_IN = re.compile(r"\b(?:shares|stakes?|invest(?:ed|ments?)?|faith|trust) in $", re.I)
NAMED_KINDS = frozenset({"person", "organisation", "place"})
# An unreviewed topic's kind so far, in one story: as strong as two labels.
REGISTRY_PRIOR = 2.0
# One cue outweighs two labels: the model's labels of one name err together.
LABEL_VOTE, CUE_VOTE, WEAK_CUE_VOTE = 1.0, 2.5, 1.0
REGION_VOTE = 1.5  # more than one label, less than two
_CREDIT_SPLIT = re.compile(r"[/,;:|()]|\b(?:photograph|photo|picture|by|and|via|for)\b", re.I)


@dataclass
class Article:
    headline: str = ""
    standfirst: str = ""
    body: Sequence[str] = ()
    credits: Sequence[str] = ()  # byline, photo credit: the people named there are not topics
    publisher: str = ""
    primary_hint: str | None = None  # an editor's or a page's "alerts on X"
    topic_hints: Sequence[str] = ()  # the page's own list of its topics


@dataclass
class Candidate:
    name: str
    kind: str
    key: str | None  # the registry slug; None for a topic the registry does not know yet
    salience: float = 0.0
    role: str = "mention"
    mentions: int = 0
    forms: list[str] = field(default_factory=list)
    listed: bool = False  # named in the page's own topic list
    features: dict[str, float] = field(default_factory=dict, repr=False)
    quoted: int = 0  # how many of the story's quotes it said
    # This story's evidence of its kind: the model's labels and the words around its mentions,
    # weighed (see _cue). Empty for a reviewed registry topic, whose kind is final.
    kind_votes: dict[str, float] = field(default_factory=dict, repr=False)
    passing: bool = False  # a lone word kept for the ranking: never about, never primary

    def evidence(self) -> dict[str, Any]:
        """Why it was proposed, for the editors (the admin's story topics list)."""
        return {
            "mentions": self.mentions,
            "forms": self.forms[:6],
            "salience": self.salience,
            "kind": self.kind,
            "kind_from": (
                "the words around its mentions and the model's labels"
                if self.kind_votes
                else "the registry"
                if self.key
                else "the model's labels"
            ),
            "kind_votes": {kind: round(vote, 2) for kind, vote in self.kind_votes.items()},
            "listed_by_page": self.listed,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "salience": self.salience,
            "role": self.role,
            "mentions": self.mentions,
        }


@dataclass
class _Layout:
    text: str
    # (start, end, zone, paragraph number) for each part of `text`
    parts: list[tuple[int, int, str, int]]
    starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.starts = [part[0] for part in self.parts]

    def where(self, pos: int) -> tuple[str, int]:
        """The zone and paragraph at `pos`: asked for every mention, so a binary search."""
        i = bisect.bisect_right(self.starts, pos) - 1
        if i >= 0:
            _, end, zone, para = self.parts[i]
            if pos < end:
                return zone, para
        return "body", 0


_WORD = re.compile(r"\w")


class _Spans:
    """Disjoint character spans, sorted, for "is this place taken?" in O(log n): the tagger
    asks it for every match in a story that may be megabytes long."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans):
            if self.ends and start < self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)  # overlapping mentions: one span
            else:
                self.starts.append(start)
                self.ends.append(end)

    def covers(self, pos: int) -> bool:
        i = bisect.bisect_right(self.starts, pos) - 1
        return i >= 0 and pos < self.ends[i]

    def claim(self, start: int, end: int) -> bool:
        """Take [start, end) if nothing there is taken; True when it was free."""
        i = bisect.bisect_left(self.starts, end)  # spans starting before `end`
        if i > 0 and self.ends[i - 1] > start:
            return False
        self.starts.insert(i, start)
        self.ends.insert(i, end)
        return True


@dataclass
class _Mention:
    start: int
    end: int
    text: str
    kind: str
    key: str | None = None
    demonym: bool = False  # "Kenyan" for Kenya: a mention of it, never the sentence's subject
    label: str | None = None  # a registry mention's kind by the model's label, where it has one
    # "Indian" of "the Indian Army": a mention of India that says the story is about India, no
    # more; it counts only where the story names India nowhere else
    within: bool = False


@dataclass
class _Group:
    name: str
    kind: str
    key: str | None
    mentions: list[_Mention] = field(default_factory=list)
    score: float = 0.0
    prominent: bool = False  # named in the headline or standfirst
    paragraphs: int = 0  # how many body paragraphs name it
    features: dict[str, float] = field(default_factory=dict)
    quotes: int = 0  # the story's direct quotes it is the speaker of
    subject: bool = False  # a named subject ("Ramadan"): a theme, ranked like a name
    votes: dict[str, float] = field(default_factory=dict)  # the model's labels, by kind
    kind_votes: dict[str, float] = field(default_factory=dict)  # labels and context, weighed
    mid_sentence: bool = False  # its first mention follows a lowercase word or a comma
    passing: bool = False  # a lone word kept for the ranking only: never more than a mention

    @property
    def named(self) -> bool:
        return self.kind != "theme" or self.subject


def _layout(article: Article) -> _Layout:
    chunks = [("headline", article.headline), ("standfirst", article.standfirst)]
    chunks += [("lead" if i == 0 else "body", p) for i, p in enumerate(article.body)]
    # Scraped text may still carry "&mdash;" or "&amp;": read as the characters they stand for.
    chunks = [(zone, html.unescape(chunk) if "&" in chunk else chunk) for zone, chunk in chunks]
    pieces: list[str] = []
    parts, start, para = [], 0, 0
    for zone, chunk in chunks:
        chunk = " ".join(chunk.split())
        if not chunk:
            continue
        pieces.append(chunk + "\n\n")  # joined once at the end: += would copy the text each time
        parts.append((start, start + len(chunk), zone, para))
        start += len(chunk) + 2
        para += zone in ("lead", "body")
    return _Layout("".join(pieces), parts)


NER_PIECE_CHARS = 4000
PARAGRAPHS_PER_STORY = 4


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece): one paragraph at a time (a long one in pieces of NER_PIECE_CHARS). The
    model reads a paragraph better alone: a headline run into the next paragraph hid the name
    that opens it."""
    start = 0
    while start < len(text):
        cut = text.find("\n\n", start)
        end = len(text) if cut == -1 else cut + 2
        while end - start > NER_PIECE_CHARS:
            split = text.rfind(" ", start + 1, start + NER_PIECE_CHARS)
            split = split if split > start else start + NER_PIECE_CHARS
            yield start, text[start:split]
            start = split
        yield start, text[start:end]
        start = end


def _is_dateline(text: str, mention: _Mention) -> bool:
    start = text.rfind("\n", 0, mention.start) + 1
    return mention.start - start <= 2 and text[mention.start : mention.end].isupper()


_PERSON_TITLE = r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|President|Senator|Governor|Mayor|Judge)\.?\s+"


_TITLED = re.compile(rf"\b{_PERSON_TITLE}([A-Z][\w'-]*)\b")


# One or two capitalised words straight after the model's span, then none.
_PLACE_PARTICLE = re.compile(r" (?:do|da|dos|das|de|del|di) [A-Z][\w'-]*[a-z](?![\w'-])")
# The small words inside a person's name: "Maria del Carmen", "Ludwig van".
_PARTICLE = re.compile(r" (?:de|del|della|da|das|dos|di|du|van|von|der|den|bin|ibn|al|el|la|le) ")
_RUN_ON = re.compile(r"((?: [A-Z][\w'-]*[a-z][\w'-]*){1,2})(?![\w'-]| [A-Z])")


# "Liverpool F.C.", "Ajax AFC": the model often leaves a club's letters out.
_CLUB = re.compile(r" (?:A\.?)?F\.?C\.?(?![\w.])| A\.?F\.?C\.?(?![\w.])")


# "Highway 1", "Expedition 11": names whose number is part of them; not "in Kabul 3 died".
NUMBERED = frozenset(
    ("highway", "route", "interstate", "motorway", "expedition", "apollo", "flight", "terminal")
)
_NUMBER_AFTER = re.compile(r" \d{1,3}(?![\d%-]|[.,]\d| [A-Z])")


_QUOTES = "\"'“”‘’"
_QUOTE_OPENS = re.compile(r"[\"'“‘]((?:[A-Z][\w'-]* ){0,2})$")


def _quoted_title(text: str, start: int, end: int) -> tuple[int, str]:
    """A "person" the model found the end of a quoted title in: "Dewey Defeats Truman" (its
    span was "Defeats Truman"). Its start and kind. A quoted nickname ("Iron Mike", "Jihadi
    John") stays a person: two words, or the span is the whole quote."""
    opens = _QUOTE_OPENS.search(text, max(0, start - 40), start)
    closes = text[end - 1 : end] in _QUOTES or text[end : end + 1] in _QUOTES
    if opens is None or not opens.group(1) or not closes:
        return start, "person"
    if len(text[opens.start(1) : end].split()) < 3:
        return start, "person"  # "Iron Mike"
    return opens.start(1), "thing"


def _quoted(text: str, m: "_Mention") -> bool:
    return text[m.start - 1 : m.start] in _QUOTES and text[m.end : m.end + 1] in _QUOTES


def _run_on(
    text: str,
    start: int,
    end: int,
    registry: dict[int, Any],
    headline: bool = False,
    person: bool = False,
    place: bool = False,
) -> int:
    """Where a name the model cut short ends: "Liverpool" + "F.C.", "Highway" + "1", "San
    Quentin State" + "Prison", "Stewart Haas" + "Racing" (the words after it say what the
    whole is), "Aleksandr" + "Kaleri" (one word the registry does not know, and one or two more).
    Not "US" + "President George": a title starts the next name."""
    club = _CLUB.match(text, end)
    if club is not None:
        return club.end()
    # Not a place the registry knows: "In Brazil da Silva's party", "What will Russia do"
    particle = _PLACE_PARTICLE.match(text, end) if place and start not in registry else None
    if particle is not None:
        return particle.end()  # "Rio Grande" + "do Sul", "Santiago" + "de Compostela"
    # a headline's words run on only for a person's name with small words (below)
    run = None if headline and not person else _RUN_ON.match(text, end)
    titled = run is not None and any(
        fold(w.split("-")[0]) in TITLE_WORDS or fold(w) in ROLE_KINDS for w in run.group(1).split()
    )
    if run is not None and not titled and person and _PARTICLE.search(text[start:end]):
        # "Maria del Carmen" + "Ortega Ruiz", in a headline too: its small words say the
        # headline is not in title case
        return run.end()
    if headline:
        return end  # where every word is capitalised: "Hamas Says", "Johnson Quits Parliament"
    number = _NUMBER_AFTER.match(text, end)
    if number is not None and fold(text[start:end].split()[-1]) in NUMBERED:
        return number.end()
    if run is None:
        return end
    words = run.group(1).split()
    if titled:
        return end
    span = text[start:end]
    if kind_from_words(span) is not None:
        return end  # the name says what it is already
    if kind_from_words(text[start : run.end()]) is not None:
        return run.end()
    head = end + 1 + len(words[0])
    if len(words) == 2 and kind_from_words(text[start:head]) is not None:
        return head  # "San Quentin State" + "Prison", of "Prison The sole maker": a caption
    if " " not in span and start not in registry:
        return run.end()  # "Carlotta" + "Walls LaNier"
    return end


# The countries whose names news writes short before a body's ("US Department of Defense").
_PREFIXED = frozenset({"United States", "United Kingdom"})
# Mixed-case letters that are no body's: a memorandum of understanding, denial of service.
_NO_BODY = frozenset({"MoU", "PoW", "RoI", "IoT", "DoS", "LoL", "WoW", "CoD", "PoC", "QoS", "ToS"})
# Adjectives that begin or qualify a body's name ("Royal Navy") but name none alone, nor
# before a common noun ("a Naval ship").
_ADJECTIVAL = frozenset(
    """
    naval military federal national royal imperial central governmental presidential
    parliamentary ministerial diplomatic judicial congressional legislative municipal
    provincial regional colonial constitutional
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)
_LOWER_NEXT = re.compile(r" [a-z]")
# The organs of a state, which its demonym names: "the Indian Army", "the Russian Foreign
# Ministry".
_STATE_ORGANS = frozenset(
    """
    army navy forces force military police government ministry embassy consulate parliament
    senate guard cabinet marines coastguard gendarmerie authorities
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)
# The words of a river, a bay, a mountain that a story may leave out after naming it once.
_NATURAL_LAST = frozenset(
    {"river", "bay", "lake", "island", "mountain", "valley", "peninsula", "strait", "gulf",
     "sea", "desert", "creek", "canyon", "glacier", "volcano"}
)  # fmt: skip
_NATURAL_FIRST = frozenset({"mount", "mt", "lake", "river"})
_PLACES_OF = re.compile(
    r"\b(?:towns|cities|villages|provinces|regions|states|islands|districts|counties"
    r"|countries|suburbs|municipalities) of $",
    re.I,
)
# "Kandahar city": words after a registry place that name the place itself (not "Niger
# delta", "Washington state", "Paris club").
_SAME_PLACE = frozenset({"city", "town", "capital", "province"})
# "North and South Korea", "North, South Korea": two names that share their last words.
_PAIR = re.compile(
    r"([A-Z][\w-]*)(?:,| and| &) ([A-Z][\w-]*) ([A-Z][\w-]*(?: [A-Z][\w-]*)?)(?:['’]s)?$"
)
# The roles a headline may name a person by alone ("Syrian defence minister defects"), not
# followed by the name: words that are only ever a person's (not "coach", a bus, or
# "cardinal", a colour).
_HEAD_ROLE = re.compile(
    r"(?<![\w-])(?:[Pp]resident|[Pp]remier|[Mm]inister|[Cc]hancellor|[Ss]ecretary|[Ss]enator|[Gg]overnor"
    r"|[Mm]ayor|[Kk]ing|[Qq]ueen|[Pp]ope|[Aa]rchbishop|[Bb]ishop|[Ee]mir|[Jj]udge"
    r"|[Cc]ommander|[Cc]hairman|[Cc]hairwoman|CEO|[Ff]ounder|[Aa]mbassador)\b"
    r"(?!,? [A-Z]| of [A-Z])"
)
# "Former president returns to court", "Shadow chancellor attacks budget", "German
# chancellor visits": someone other than the story's one President or Chancellor.
_OTHER_HOLDER = frozenset(
    """
    former ex acting deputy shadow junior vice interim late outgoing incoming new next future
    assistant under senior
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)
# A judge in a headline decides the story ("Judge dismisses case against X"); X is its subject.
_DECIDING = frozenset({"judge", "justice"})
# After a role in the lead: "of defense General ", ", " before the holder's name.
_APPOSED = re.compile(r"(?: of [a-z]+(?: [a-z]+)?)?,? (?=[A-Z])")
_CAPITALISED = re.compile(r"[A-Z][\w.'-]* ")
_SENTENCE_START_AT = re.compile(r"(?:^|\n|[.!?]\s+)$")
# A role near the start of its sentence: "India's foreign minister has been criticised".
_SENTENCE_START = re.compile(r"(?:^|\n|[.!?\]]\s+)(?:\S+\s+){0,3}$")


def _same_title(before: list[str], said: set[str]) -> bool:
    """Whether the headline's title, after the words `before` it, is the one whose words are
    `said` ("Prime Minister"): not with a different qualifier ("foreign minister"), one that
    says another holder ("former president"), or a capitalised word ("German chancellor")."""
    if any(fold(w).strip("-") in _OTHER_HOLDER for w in before):
        return False
    last = fold(before[-1]) if before else ""
    if last in said:
        return True
    if last in TITLE_WORDS - _VAGUE_TITLES:
        return False
    return not before or not before[-1][:1].isupper()


# Titles that are also a company's letters or a word ("PM Capital", "Corporal Punishment").
_WEAK_TITLES = frozenset({"pm"})
# The offices a title is "of" ("Secretary of State", "Minister of Finance"), never a topic by
# that one word: the body is "the State Department", "the Finance Ministry".
_PORTFOLIOS = frozenset(
    """
    state defence defense interior health education justice trade economy energy environment
    culture transport labour labor finance agriculture
    """.split()  # noqa: SIM905 -- a word list reads better as prose
)
# "Secretary of", "Minister for the": a title that the name of an office follows, and then,
# often in the model's one span, the holder's name.
_TITLE_OF = re.compile(
    r"\b(?:[Ss]ecretary|[Mm]inister|[Aa]rchbishop|[Bb]ishop|[Cc]hancellor|[Cc]ommissioner)"
    r" (?:of|for) (?:the )?$"
)


def _is_personal(name: str) -> bool:
    """Two to four capitalised words, none of which says "organisation" or "place"."""
    words = name.split()
    return (
        2 <= len(words) <= 4
        and all(w[:1].isupper() for w in words)
        and kind_from_words(name) is None
    )


_ROLE_NAME = re.compile(r"\b(?=([A-Za-z]+) ([A-Z][a-z][\w'-]*) ([A-Z][a-z][\w'-]*)\b)")


def _after_roles(text: str) -> dict[str, str]:
    """Surname -> full name, for the two-word names straight after a person's role or title
    ("Flight Engineer Salizhan Sharipov", "cosmonaut Yuri Lonchakov"): one pass."""
    found: dict[str, str] = {}
    for match in _ROLE_NAME.finditer(text):
        role, first, last = match.groups()
        folded = fold(first)
        if _person_role(role.casefold()) and folded not in TITLE_WORDS and folded not in ROLE_KINDS:
            found.setdefault(last, f"{first} {last}")
    return found


def _person_role(word: str) -> bool:
    """A person's role, or its plural ("cosmonauts"), in lower case."""
    return "person" in (ROLE_KINDS.get(word), word.endswith("s") and ROLE_KINDS.get(word[:-1]))


def _titled(name: str, titled: set[str]) -> bool:
    """A two- or three-word name whose surname the story puts a person's title before
    (`titled`: the words after a title anywhere in the story, found in one pass)."""
    words = name.split()
    return 2 <= len(words) <= 3 and words[-1] in titled


def _cue(text: str, start: int, end: int, places: dict[int, int]) -> tuple[str, float] | None:
    """The kind the words around one mention give its name, and how strongly: a role just
    before it ("the charity Comic Relief", "Congresswoman Gabrielle Giffords", "the town of
    Moe"), an apposition after it ("Yukos, a Russian oil company"; "Ali Hassan, 54,"), a
    known place after its comma ("Tucson, Arizona"), or "near X"."""
    before = text[max(0, start - 30) : start]
    after = text[end : end + 80]
    if _PLACE_OF.search(before):
        return "place", CUE_VOTE
    if _FOUNDED.search(before):
        return "organisation", CUE_VOTE
    role = _ROLE_BEFORE.search(before)
    if role is not None:
        word, comma = role.groups()
        # "Miss Okafor", never "countries miss Velmar targets"
        kind = None if word in _LOWER_VERBS else ROLE_KINDS.get(word.lower())
        if kind is None and word.islower() and _LIST_NEXT.match(after) and _person_role(word):
            # "cosmonauts Aleksandr Kaleri and Oleg Skripochka": a role before a list of
            # names; not "architects Foster and Partners"
            kind = "person"
        # A capitalised word may belong to another name ("Labour Party Smith" is rare, "the
        # Party" common): only a person's title counts then. After a comma ("the company,
        # Hospira,") the name must close the apposition, or it starts the next clause; a
        # person's may end the sentence too ("by his son, Felix."), and a title needs no
        # closing (", President Ali Reza said"), but not "interviewed the headteacher,
        # Ofsted said", where a verb follows the name.
        if (kind and (word.islower() or kind == "person")
                and (not comma or after.startswith(",")
                     or (kind == "person" and (word.lower() in TITLE_WORDS
                                               or not _VERB_NEXT.match(after))))):  # fmt: skip
            return kind, CUE_VOTE
        if word in WEAK_PERSON_ROLES:
            return "person", WEAK_CUE_VOTE
    apposition = _APPOSITION.match(after)
    if apposition is not None:
        words = apposition.group(1).split()
        # Before the head noun, only capitalised words ("U.S.", "Israel's") when no article.
        if after[2:3].isupper() and not all(w[:1].isupper() for w in words[:-1]):
            words = []
        for word in reversed(words):
            kind = ROLE_KINDS.get(word) if word.islower() else None
            if (kind is None and word is words[-1] and after.startswith(", the ")
                    and _person_role(word.lower())
                    and not _SETTING_BEFORE.search(before)
                    and not after.startswith(" of which", apposition.end(1))):  # fmt: skip
                # ", the Executive Director of": a title, capitalised; not ", the Iraqi
                # Prime Minister Nouri al-Maliki said", the next clause's subject, nor
                # "Speaking in Velmar, the Minister said", where the name opened the clause
                kind = "person"
            if kind:
                return kind, CUE_VOTE
    # "the Crimea region of", "in Helmand province."; not "a north-eastern Druze district",
    # "the Starbucks district manager"; outvoted by two labels ("the Pelosi district, where").
    if _PLACE_AFTER.match(after) and _PLACE_AFTER_LEAD.search(before):
        return "place", REGION_VOTE
    if _AGE_AFTER.match(after):
        return "person", CUE_VOTE
    # "Tucson, Arizona." but not "James Jeffrey, U.S. ambassador": the place ends the clause.
    place_end = places.get(end + 2) if after.startswith(", ") else None
    if place_end is not None and _CLAUSE_END.match(text, place_end):
        return "place", CUE_VOTE
    if (_NEAR_BEFORE.search(before) and not after.startswith("'")
            and not _HELD_IN.search(before)
            and not text.startswith(("the ", "The "), start)):  # fmt: skip
        # Not "in the Marine Corps" when the model's span holds its "the" (as it never
        # does after "in the" otherwise): the places named with "the" are the registry's.
        return "place", WEAK_CUE_VOTE
    return None


def _vote(votes: dict[str, float], kind: str, weight: float) -> None:
    """Add `weight` to `kind` in a tally of kinds (first come, first in a tie)."""
    votes[kind] = votes.get(kind, 0.0) + weight


_MID_SENTENCE = re.compile(r"[a-z,] $")
# Not after "known as", "nicknamed": "a boxer known as The Butcher" is a person.
_THE_MID = re.compile(r"[a-z,](?<!known as)(?<!nicknamed)(?<!dubbed)(?<!called) The $")


# "in The Hague", "in The Bronx": a place the model says is one keeps its "The".
_THE_IN = re.compile(r"\b(?:in|at|near|outside|across) The $")


def _the_mid(text: str, start: int, pattern: re.Pattern[str] = _THE_MID) -> bool:
    """Whether a capital "The" mid-sentence starts the name at `start` (or just before it)."""
    at = start + 4 if text.startswith("The ", start) else start
    return pattern.search(text, max(0, at - 16), at) is not None


_ADJECTIVE = re.compile(r"\b([A-Z][\w-]+) [a-z]")
_MODIFIER = re.compile(r"((?: [a-z]+){0,2}) ")


def _modifies(text: str, end: int, starts: set[int]) -> bool:
    """Whether the name ending at `end` only qualifies the next one: "Hezbollah network
    Al-Manar", "Owner of Segway Jimi Heselden". Not "Brazil's Senate": that is still Brazil."""
    found = _MODIFIER.match(text, end)
    if found is None or found.end() not in starts:
        return False
    words = found.group(1).split()
    return not words or words[-1] in ROLE_KINDS or words[-1] in WEAK_PERSON_ROLES


def _unbracketed(text: str, start: int, end: int, label: str) -> list[tuple[int, int, str]]:
    """ "Virginia Holocaust Museum]] Margaret River Senior High School": markup left between
    two captions makes two names of the model's one span."""
    if "]" not in text[start:end] and "[" not in text[start:end]:
        return [(start, end, label)]
    return [
        (start + m.start(), start + m.end(), label)
        for m in re.finditer(r"[^\[\]\s](?:[^\[\]]*[^\[\]\s])?", text[start:end])
        if len(m.group()) >= 2
    ]


def _treaty(text: str, m: "_Mention") -> "_Mention":
    """ "The Paris agreement", "the Abraham accords", "Lassa fever": a place or a person
    before the word of a pact (after "the") or of a disease (a name the registry does not
    know, not a person's: not "Messi fever") names that, a thing. Not "In Brussels agreement
    came", "a Florida declaration of emergency", "the Senate agreement"."""
    if m.kind not in ("place", "person") or m.demonym:
        return m
    after = _PACT_AFTER.match(text, m.end) if text.endswith(("the ", "The "), 0, m.start) else None
    if after is None and m.key is None and not (m.kind == "person" and " " in m.text):
        after = _DISEASE_AFTER.match(text, m.end)
        # ... when the story never writes the name without it: not "Messi fever" in a story
        # on Messi, nor "Taylor Swift fever"
        form = text[m.start : m.end]
        if after is not None and any(
            not _DISEASE_AFTER.match(text, found.end())
            for found in re.finditer(rf"\b{re.escape(form)}\b", text)
        ):
            after = None
    if after is None:
        return m
    return _Mention(m.start, after.end(), text[m.start : after.end()], "thing")


_PACT_AFTER = re.compile(
    r" (?:agreements?|accords?|protocols?|treaty|treaties|declaration|conventions?)(?![\w-])"
)
_DISEASE_AFTER = re.compile(r" (?:fever|virus|disease|syndrome)(?![\w-])")


def _natural_only(text: str, group: "_Group") -> bool:
    """Whether a lone name is only ever written as a river or a sea is: "the Rhine", "the
    Hudson would close", never "in Geneva", "Erie's mayor", "King Charles", "the Baltic
    states"."""
    # ("the town of Varna", "the governor of Calloway" never have "the" straight before)
    return all(
        text.endswith(("the ", "The "), 0, m.start) and not _REGION_AFTER.match(text, m.end)
        for m in group.mentions
    )


_REGION_AFTER = re.compile(
    r"(?:['’]s)? (?:states|countries|nations|region|coast|city|town|capital)\b"
)


def _listed_places(text: str, start: int, end: int, label: str) -> list[tuple[int, int, str]]:
    """ "the lakeside towns of Pellby and Orvell": a list the model took for one name is
    each of its places."""
    if " and " not in text[start:end] and ", " not in text[start:end]:
        return [(start, end, label)]
    if not _PLACES_OF.search(text, max(0, start - 30), start):
        return [(start, end, label)]
    pieces = list(re.finditer(r"[A-Z][^,]*?(?=,| and |$)", text[start:end]))
    if any(fold(m.group()) in _SHARED_HEAD for m in pieces[:-1]):
        return [(start, end, label)]  # "the islands of North and South Uist": one name's halves
    return [(start + m.start(), start + m.end(), "GPE") for m in pieces]


_SHARED_HEAD = frozenset(
    {"north", "south", "east", "west", "upper", "lower", "great", "little", "old", "new",
     "greater", "central", "northern", "southern", "eastern", "western"}
)  # fmt: skip


def _common_word(group: "_Group", text: str, body: int) -> bool:
    """ "Cabin crew strike grounds flights", over "cabin crew walked out": a single word no
    registry knows, capitalised only where every word is (the headline) or a sentence starts,
    which the story writes in lower case too and which never speaks, is a common word, not a
    name."""
    if group.key is not None or " " in group.name or is_acronym(group.name):
        return False
    if any(_SPEECH.match(text[m.end : m.end + 20]) for m in group.mentions):
        return False  # "Moon said he had promised the moon": a person
    if not all(m.start < body or _SENTENCE_START_AT.search(text, max(0, m.start - 4), m.start)
               for m in group.mentions):  # fmt: skip
        return False
    return re.compile(rf"\b{re.escape(group.name.lower())}\b").search(text, body) is not None


def _as_noun(word: str, text: str) -> bool:
    """Whether the story writes `word` as a thing (in lower case, or after "the") twice, so
    not only in an idiom ("promised the moon"), and never gives it a title ("President
    Moon")."""
    if re.search(rf"\b(?:{_PERSON_TITLE}){re.escape(word)}\b", text):
        return False
    return len(re.findall(rf"\b(?:{re.escape(word.lower())}|the {re.escape(word)})\b", text)) >= 2


def _holder(group: "_Group", folded: str, others: "list[_Group]", body: int) -> "_Group | None":
    """The one organisation or work of the story whose name holds `group`'s words in a row,
    and is met past the headline: for a name of two words or more ("Peace Prize", "Sprint
    Cup"). A lone word may be another body (the Senate of "the Italian Senate" beside the
    United States Senate, the Times beside the Financial Times). Not "the Order of Canada" of
    "the Advisory Council of the Order of Canada" (another body), nor Cessna of "Cessna 206"
    (its aircraft)."""
    if " " not in folded:
        return None
    found = []
    for other in others:
        if other is group or other.kind not in ("organisation", "thing"):
            continue
        name = fold(other.name).replace("-", " ")
        at = f" {name} ".find(f" {folded} ")
        if (
            at == -1
            or name == folded
            or all(m.start < body for m in other.mentions)
            # the full name first, then the short ("the Nobel Peace Prize ... the Peace
            # Prize"); not "Booker Prize shortlist", then "the International Booker Prize"
            or other.mentions[0].start > group.mentions[0].start
        ):
            continue
        before, after = name[:at].split(), name[at + len(folded) :].split()
        if (
            before[-1:] in (["of"], ["the"])
            or (not before and after and after[0][:1].isdigit())
            or (len(before) == 1 and not after and _DEMONYM.search(before[0]))
        ):
            continue  # nor Paddy Power of the model's "Irish Paddy Power"
        found.append(other)
    return found[0] if len(found) == 1 else None


def _saturate(labels: float) -> float:
    """What the model's labels of one name (or its weak cues) are worth together: each more
    counts less, as they err together (eight "person" labels for a television station)."""
    return 1.0 + math.log2(labels) if labels > 1.0 else labels


def _decide_kind(
    group: "_Group", text: str, places: dict[int, int], adjectives: set[str], people: set[int]
) -> None:
    """The model's labels (group.votes) and the context of every mention, weighed. `people`:
    where the model's people end in the text."""
    votes = {kind: _saturate(vote) for kind, vote in group.votes.items()}
    owned = False
    weak: dict[str, float] = {}  # "in X" three times is one habit of speech, not three cues
    for m in group.mentions:
        # "Warren Buffett of Berkshire Hathaway": what a person is "of" is no person, and the
        # ", who" after it is his. Not "a portrait by Lucian Freud of David Hockney".
        of_person = (
            m.start - 4 in people
            and text.startswith(" of ", m.start - 4)
            and not _BY_SOMEONE_OF.search(text, max(0, m.start - 60), m.start)
        )
        cue = _cue(text, m.start, m.end, places)
        if cue is not None and not (of_person and cue[0] == "person"):
            _vote(weak if cue[1] == WEAK_CUE_VOTE else votes, *cue)
        elif (group.key is None and "thing" not in votes and _the_mid(text, m.start)
                and not (m.kind == "place" and _the_mid(text, m.start, _THE_IN))):  # fmt: skip
            # "a reporter from The Scotsman": a capital "The" mid-sentence belongs to a
            # title, a newspaper's or a band's, never to a person's name; the registry's
            # places ("The Hague") are not loose names
            _vote(votes, "organisation", CUE_VOTE)
        owned = owned or of_person
    if (owned and len(group.mentions) <= 2 and set(group.votes) == {"person"}
            and not any(_SPOKE.match(text, m.end) for m in group.mentions)):  # fmt: skip
        _vote(votes, "organisation", CUE_VOTE)
    for kind, vote in weak.items():
        _vote(votes, kind, _saturate(vote))
    name = group.name
    if " " not in name and len(name) > 3 and {name + "n", name + "an", name + "ian"} & adjectives:
        # "Transnistrian goods": a name with an adjective of its own is a place's.
        _vote(votes, "place", CUE_VOTE)
    group.kind_votes = votes
    if votes:
        # In a tie the words around the name beat the model's labels: "a senior officer in
        # Nagrota said", one ORG label and one "in"; not an event's ("in the Korean War").
        best = max(votes.values())
        tied = [kind for kind, vote in votes.items() if vote == best]
        labels = {kind: _saturate(vote) for kind, vote in group.votes.items()}
        cued = [kind for kind in tied if best > labels.get(kind, 0.0)]
        group.kind = cued[0] if cued and "thing" not in tied else tied[0]


def _is_subject(entry: Entry) -> bool:
    """A theme the registry knows by proper names only ("Islam", "Ramadan"), not keywords."""
    return entry.kind == "theme" and all(
        form[:1].isupper() for form in (entry.name, *entry.aliases)
    )


def _credit_names(article: Article) -> set[str]:
    names = {fold(article.publisher)} if article.publisher else set()
    for credit in article.credits:
        names.update(fold(part) for part in _CREDIT_SPLIT.split(credit) if part.strip())
    return names - {""}


class Tagger:
    def __init__(
        self,
        entries: Iterable[Entry],
        nlp: Any = None,
        *,
        batch_size: int = 32,
        max_chars: int = 100_000,
        rejected: Iterable[str] = (),
        salience: Salience | None = None,
        quotes: bool = True,
    ) -> None:
        self.gazetteer = Gazetteer(entries)
        # The subjects by each of their names (see _themes), once rather than per story.
        self.subjects = {
            fold(form): key
            for key, entry in self.gazetteer.entries.items()
            if _is_subject(entry)
            for form in (entry.name, *entry.aliases)
        }
        # Without a fitted model, topics are ranked by the rule score alone.
        self.salience = salience
        self.with_quotes = quotes  # off only to measure what finding quotes costs
        # Names editors said are not topics: the model may find them; they are dropped.
        self.rejected = {fold(clean_name(name)) for name in rejected}
        self.nlp = nlp
        self.batch_size = batch_size
        # The model's cost grows with length; past this the gazetteer still reads everything.
        self.max_chars = max_chars

    def with_salience(self, salience: Salience | None) -> "Tagger":
        """This tagger (registry and model shared) ranking with other salience models, or
        with the rule score alone when `salience` is None."""
        other = copy.copy(self)
        other.salience = salience
        return other

    def tag(self, article: Article) -> list[Candidate]:
        return self.tag_many([article])[0]

    def tag_many(self, articles: Sequence[Article]) -> list[list[Candidate]]:
        return [candidates for candidates, _ in self.tag_with_quotes(articles)]

    def tag_with_quotes(
        self, articles: Sequence[Article]
    ) -> list[tuple[list[Candidate], list[Quote]]]:
        """Each story's topics and who said what in it (topics.tagging.quotes)."""
        layouts = [_layout(article) for article in articles]
        if self.nlp is None:
            entities: list[list[tuple[int, int, str]]] = [[] for _ in layouts]
        else:
            # The model reads paragraphs in pieces of a few thousand characters: its memory
            # grows with the length of one text (a 100,000-character story cost 330 MB in one
            # piece), and entities never cross a paragraph break anyway.
            pieces = [
                (number, offset, piece)
                for number, layout in enumerate(layouts)
                for offset, piece in _pieces(layout.text[: self.max_chars])
            ]
            entities = [[] for _ in layouts]
            # Paragraphs, not stories: several to a story, so more of them to a batch.
            docs = self.nlp.pipe(
                (piece for _, _, piece in pieces), batch_size=self.batch_size * PARAGRAPHS_PER_STORY
            )
            for (number, offset, _), doc in zip(pieces, docs, strict=True):
                entities[number].extend(
                    (offset + e.start_char, offset + e.end_char, e.label_) for e in doc.ents
                )
        return [
            self._tag_one(article, layout, ents)
            for article, layout, ents in zip(articles, layouts, entities, strict=True)
        ]

    def _tag_one(
        self, article: Article, layout: _Layout, entities: list[tuple[int, int, str]]
    ) -> tuple[list[Candidate], list[Quote]]:
        text = layout.text
        hits = self.gazetteer.find(text)
        registry = self._registry_mentions(text, hits)
        body = next((p[1] for p in layout.parts if p[2] == "headline"), 0)
        mentions = self._entity_mentions(text, entities, registry, _credit_names(article), body)
        groups = self._group(mentions, layout)
        quotes = self._quotes(article, groups) if self.with_quotes else []
        groups += self._themes(layout, groups)
        self._weigh(groups, layout)
        return self._rank(groups, article.primary_hint, article.topic_hints), quotes

    @staticmethod
    def _quotes(article: Article, groups: list[_Group]) -> list[Quote]:
        """Who said what, with each speaker tied to its group: a quote counts towards its
        speaker's salience."""
        pairs = [
            (Speaker(g.name, g.kind, g.key, tuple(dict.fromkeys(m.text for m in g.mentions))), g)
            for g in groups
            if g.kind in ("person", "organisation")
        ]
        found = find_quotes(list(article.body), [speaker for speaker, _ in pairs])
        by_name = {speaker.name: group for speaker, group in pairs}
        for quote in found:
            group = by_name.get(quote.speaker or "")
            if group is None or quote.partial:
                continue
            group.quotes += 1
        return found

    def _entity_mentions(
        self,
        text: str,
        entities: list[tuple[int, int, str]],
        registry: list[_Mention],
        credits: set[str],
        body: int = 0,
    ) -> list[_Mention]:
        """The model's entities as mentions, added to the registry's; returns both. `body`:
        where the text after the headline starts."""
        # The registry's hits never overlap and come in text order: found by bisection, so a
        # long story's thousands of entities do not each walk every hit.
        registry = sorted(registry, key=lambda m: m.start)
        starts = [m.start for m in registry]
        by_start = {m.start: m for m in registry}
        dropped: set[int] = set()

        def overlapping(start: int, end: int) -> list[_Mention]:
            found: list[_Mention] = []
            i = bisect.bisect_left(starts, end) - 1
            while i >= 0 and registry[i].end > start:
                if i not in dropped:
                    found.append(registry[i])
                i -= 1
            return found[::-1]

        mentions = []
        entities = [
            piece
            for entity in entities
            for part in _unbracketed(text, *entity)
            for piece in _listed_places(text, *part)
        ]
        next_starts = {e[0] for e in entities if e[2] != "CARDINAL"}
        for start, end, label in entities:
            kind = KINDS.get(label)
            if kind is None or "\n" in text[start:end]:
                continue  # a span across two paragraphs is the model running on, not a name
            if kind in NAMED_KINDS and end + 1 not in next_starts:
                end = _run_on(
                    text, start, end, by_start, headline=start < body,
                    person=kind == "person", place=kind == "place",
                )  # fmt: skip
            if kind == "person":
                start, kind = _quoted_title(text, start, end)
            if kind == "organisation" and text[end : end + 4] == " of ":
                # "the Central Bank" + "of Kenya": the model often stops before the place.
                place = by_start.get(end + 4)
                if place is not None and place.kind == "place":
                    end = place.end
            words = text[start:end].split()
            if company_role(words):
                kind = "organisation"  # "Regulator Ofcom", "Carmaker Vellano"
            if len(words) == 2 and rank_words(words):
                continue  # "Rear Admiral" of "Rear Admiral Sofia Brandt", split by the model
            first = fold(words[0]).rstrip(".")
            if (
                first in PERSON_TITLES
                or (
                    # "Lance Corporal Tomas Reyes", "PM Orlanko"; not "Field Marshal Road",
                    # "PM Capital", "PM Group", "Corporal Punishment" (a play)
                    (rank_words(words) or (first in _WEAK_TITLES and kind != "thing"))
                    and len(words) > 1
                    and kind_from_words(text[start:end]) is None
                    and fold(words[-1]) not in ROLE_KINDS
                )
                or (
                    # "Cardinals Marc Ouellet, Peter Turkson": a plural title before a list
                    first[:-1] in TITLE_WORDS
                    and first.endswith("s")
                    and len(text[start:end].split()) > 2
                )
            ):
                kind = "person"  # "Mr Quispe", whatever the model's label
            if kind != "person" and _TITLE_OF.search(text, max(0, start - 40), start):
                # "Secretary of State for Defence Des Browne": a span inside a title
                tail = clean_name(text[start:end], person=True)
                if tail != clean_name(text[start:end]) and _is_personal(tail):
                    kind = "person"
                elif fold(tail) in _PORTFOLIOS:
                    continue  # the office of "Secretary of State": no body of its own name
            name = clean_name(text[start:end], person=kind == "person")
            if kind == "organisation":
                name = expand_prefix(name)  # "US Senate" is "United States Senate"
            elif kind != "place" and ", " in name:
                continue  # "Sex Pistols, Jethro Tull": the model ran a list into one name
            inside = overlapping(start, end)
            if (kind == "organisation" and fold(words[-1]) in _ADJECTIVAL
                    and _LOWER_NEXT.match(text, end) and len(inside) == 1
                    and fold(text[start : inside[0].start]) in ("", "the")
                    and text[inside[0].end : end].strip() == words[-1]
                    and (inside[0].demonym or is_acronym(inside[0].text))):  # fmt: skip
                # "a U.S. Naval ship", "British Military sources": a country's word and an
                # adjective, no body's name (not "Kestrel Federal said", "Rosario Central fans")
                continue
            pair = _PAIR.match(text, start, end)
            if pair and len(inside) == 1 and inside[0].start == pair.start(2):
                # "North and South Korea": the registry found South Korea; North Korea too.
                paired = self.gazetteer.key_for(f"{pair[1]} {pair[3]}")
                if paired is not None and paired != inside[0].key:
                    entry = self.gazetteer.entries[paired]
                    mentions.append(
                        _Mention(start, pair.end(1), pair[1], entry.kind, paired, label=kind)
                    )
                    inside[0].label = kind
                    continue
            if inside:
                # Judged on the cleaned name: "the North Atlantic Treaty Organization" is no
                # longer than the registry's "North Atlantic Treaty Organization".
                # Not "Kandahar city" (a city's own word after it), nor the registry's own
                # name in full ("the UN Security Council").
                rest = (text[start : inside[0].start] + " " + text[inside[0].end : end]).split()
                longer = (
                    all(start <= m.start and m.end <= end for m in inside)
                    and any(len(fold(m.text)) < len(fold(name)) for m in inside)
                    and not (
                        len(inside) == 1
                        and rest
                        and all(w in _SAME_PLACE or fold(w) == "the" for w in rest)
                    )
                    and self.gazetteer.key_for(name) not in {m.key for m in inside}
                )
                if not longer:
                    for m in inside:  # the registry knows better; its label is evidence still
                        if start <= m.start and m.end <= end:
                            m.label = kind
                    continue
                # "Bank of England", "Michael Jordan", "New Jersey": not the registry's hit;
                # but "the Indian Army" (a country's demonym opening the name of one of its
                # organs) is India's too; not "Turkish Airlines", "the Chinese Nationalist
                # Party".
                for m in inside:
                    if (m.demonym and kind == "organisation"
                            and fold(text[start : m.start]) in ("", "the")
                            and fold(name.split()[-1]) in _STATE_ORGANS):  # fmt: skip
                        m.within = True
                    else:
                        dropped.add(bisect.bisect_left(starts, m.start))
            folded = fold(name)
            if (
                len(folded) < 2
                or is_noise_word(name)
                or _CALENDAR.match(folded)
                or _is_clock_or_degree(text, start, end, name)
                or folded in AGENCIES
                or folded in credits
                or folded in self.rejected
                or not name[:1].isupper()
            ):
                continue
            mentions.append(_Mention(start, end, name, kind))
        kept = [m for i, m in enumerate(registry) if i not in dropped]
        return [_treaty(text, m) for m in kept + mentions]

    def _registry_mentions(self, text: str, hits: list[Hit]) -> list[_Mention]:
        strong = {h.keys[0] for h in hits if not h.weak and len(h.keys) == 1}
        mentions = []
        for hit in hits:
            keys = hit.keys
            if hit.weak:
                known = [k for k in keys if k in strong]
                if known:
                    keys = (known[0],)
                elif not (hit.after_title and len(keys) == 1):
                    continue  # a bare surname the story never ties to anyone
            entry = self.gazetteer.entries[keys[0]]
            form = text[hit.start : hit.end]
            demonym = (
                entry.kind == "place"
                and fold(form) != fold(entry.name)
                and bool(_DEMONYM.search(form))
            )
            mentions.append(
                _Mention(hit.start, hit.end, form, entry.kind, entry.key, demonym=demonym)
            )
        return mentions

    def _group(self, mentions: list[_Mention], layout: _Layout) -> list[_Group]:
        text = layout.text
        body = next((p[1] for p in layout.parts if p[2] == "headline"), 0)
        by_key: dict[str, _Group] = {}
        loose: dict[str, _Group] = {}
        for m in sorted(mentions, key=lambda m: m.start):
            if m.key is not None:
                entry = self.gazetteer.entries[m.key]
                by_key.setdefault(m.key, _Group(entry.name, entry.kind, m.key)).mentions.append(m)
            else:
                # "Al-Manar" and "Al Manar" are one name
                key = fold(m.text).replace("-", " ")
                loose.setdefault(key, _Group(m.text, m.kind, None)).mentions.append(m)
        groups = list(by_key.values())
        places = {m.start: m.end for g in groups if g.kind == "place" for m in g.mentions}
        person_ends = {m.end for m in mentions if m.key is None and m.kind == "person"}
        # Capitalised words used as adjectives ("Transnistrian goods"), found in one pass.
        adjectives = set(_ADJECTIVE.findall(text))
        for group in groups:
            entry = self.gazetteer.entries[group.key or ""]
            if entry.reviewed or entry.kind not in NAMED_KINDS or kind_from_words(entry.name):
                continue  # final: an editor's, or the name's own words ("Marrow River")
            # A topic the tagger made and no editor has checked: this story's labels and
            # context weigh in, beside the kind it has so far (which wins a tie).
            for m in group.mentions:
                if m.label in NAMED_KINDS:
                    _vote(group.votes, m.label, LABEL_VOTE)
            _decide_kind(group, text, places, adjectives, person_ends)
            weighed = {entry.kind: REGISTRY_PRIOR}
            for kind, weight in group.kind_votes.items():
                _vote(weighed, kind, weight)
            group.kind = max(weighed, key=lambda kind: weighed[kind])
        for group in loose.values():
            # The model may label one name differently in two places; its labels and the
            # words around each mention vote. A tie goes to the first mention's label, never
            # to set order (which changes with PYTHONHASHSEED: the fitted salience must be
            # reproducible).
            for m in group.mentions:
                _vote(group.votes, m.kind, LABEL_VOTE)
            words = group.name.split()
            if 2 <= len(words) <= 3 and fold(words[-1]) in loose:
                # Met again by its last word alone ("Ouattara's appointee"): like a person.
                _vote(group.votes, "person", WEAK_CUE_VOTE)
            _decide_kind(group, text, places, adjectives, person_ends)
            if len(group.mentions) > 1:
                group.name = max((m.text for m in group.mentions), key=len)
        # "Craig Revel Horwood exclaimed", labelled a work, and "Revel Horwood", a person: one
        # person, who speaks. Not "Being John Malkovich", a film, and John Malkovich.
        names = {fold(g.name) for g in loose.values() if g.kind == "person" and " " in g.name}
        for group in loose.values():
            words = group.name.split()
            if (group.kind == "thing" and 3 <= len(words) <= 4
                    and all(w[:1].isupper() for w in words)
                    and fold(" ".join(words[1:])) in names
                    and any(_SPOKE.match(text, m.end) for m in group.mentions)):  # fmt: skip
                _vote(group.votes, "person", CUE_VOTE)
                group.kind = "person"
        # Surnames and acronyms join the fuller name the same story uses.
        # The model sometimes calls a person an organisation; a titled surname ("Mr Quispe")
        # settles it, so any loose two- or three-word name may take a surname.
        surnames: dict[str, _Group] = {}
        for group in groups + list(loose.values()):
            words = group.name.split()
            if not 2 <= len(words) <= 3 or (group.kind != "person" and group.key is not None):
                continue
            if group.kind == "person" or fold(words[-1]) not in surnames:
                surnames[fold(words[-1])] = group
        # "Malala" for Malala Yousafzai, "Jo" for Jo Myong Rok, "Abou Zeid" for Abdelhamid
        # Abou Zeid: a person's first name or last words, when no other person shares them.
        people: dict[str, _Group | None] = {}
        for group in loose.values():
            words = group.name.split()
            if group.kind != "person" or not 2 <= len(words) <= 5:
                continue
            # "Maria del Carmen" (a headline's) and "Ortega Ruiz" of Maria del Carmen Ortega Ruiz
            firsts = (" ".join(words[:i]) for i in range(2, len(words) - 1))
            lasts = (" ".join(words[i:]) for i in range(1, len(words) - 1))
            for part in {words[0], *firsts, *lasts}:
                key = fold(part)
                people[key] = None if people.get(key, group) is not group else group
        organisations = [
            g for g in groups + list(loose.values())
            if g.kind == "organisation" and len(g.name.split()) >= 2
        ]  # fmt: skip
        acronyms = {initials(g.name): g for g in organisations}
        # "DoD" and "DOD" of the Department of Defense, also when the story names it with its
        # country ("the US Department of Defense"): never over a name's own initials.
        for g in organisations:
            words = g.name.split()
            # Only the country the short form of its name is written with ("US", "UK"), not
            # "the CDC" of the Nigeria Centre for Disease Control
            starts = [0] + [i for i in range(1, len(words) - 1) if " ".join(words[:i]) in _PREFIXED]
            for i in starts:
                mixed = initials(" ".join(words[i:]), small=True)
                for key in (mixed, mixed.upper(), initials(" ".join(words[i:]))):
                    acronyms.setdefault(key, g)
        # The organisations by their names' first word, folded once: a story may hold
        # thousands, and the short-name rule below asks for each loose name.
        by_first: dict[str, list[tuple[str, _Group]]] = {}
        for g in organisations:
            name = fold(g.name)
            by_first.setdefault(name.split()[0], []).append((name, g))
        # The places a lone name may be short for, when the story has one such ("the Rhine"
        # of the Rhine River); _natural_only says where it is.
        natural: dict[str, _Group | None] = {}
        for g in groups + list(loose.values()):
            words = fold(g.name).split()
            if (
                g.kind != "place"
                or len(words) != 2
                or not all(w[:1].isupper() for w in g.name.split())
            ):
                continue  # not the model's "Arctic sea" of "Arctic sea ice"
            bare = (
                words[0]
                if words[1] in _NATURAL_LAST
                else words[1]
                if words[0] in _NATURAL_FIRST
                else None
            )
            if bare is not None:
                natural[bare] = None if natural.get(bare, g) is not g else g
        kept: list[_Group] = []
        # The organisations and works by each word of their names: _holder reads only those
        # that share a name's rarest word, not every name of a story of thousands.
        by_word: dict[str, list[_Group]] = {}
        for g in [*groups, *loose.values()]:
            if g.kind in ("organisation", "thing"):
                for word in set(fold(g.name).replace("-", " ").split()):
                    by_word.setdefault(word, []).append(g)
        for folded, group in loose.items():
            single = " " not in folded
            target = None
            holders = (
                [o for o in [*groups, *loose.values()]
                 if o.kind != "person" and folded in fold(o.name).split()[1:-1]]
                if single and folded in _ADJECTIVAL and group.key is None
                else []
            )  # fmt: skip
            if len(holders) == 1:
                # "their days at Central" of Little Rock Central High School: an adjective
                # inside the one body of the story that holds it (not "Imperial" of Imperial
                # Oil, a short name, nor "The National", a band, alone)
                target = holders[0]
            elif single and natural.get(folded) is not None and _natural_only(text, group):
                target = natural[folded]  # "the Rhine" of the Rhine River
            elif single and folded in surnames and surnames[folded] is not group:
                target = surnames[folded]
                if (target.kind != "person" and group.kind != "person") or (
                    kind_from_words(target.name) == "place"
                    and group.kind_votes.get("person", 0.0)
                    > _saturate(group.votes.get("person", 0.0))
                ):
                    # "Redstone" is not the surname of "Tana Redstone Capital", nor "Prince
                    # Albert", whom his title makes a person, of Lake Albert
                    target = None
            elif people.get(folded) not in (None, group) and group.kind != "place":
                target = people[folded]
            elif (is_acronym(group.name) and group.name.replace(".", "") in acronyms
                    and group.name not in _NO_BODY):  # fmt: skip
                target = acronyms[group.name.replace(".", "")]
            else:
                # "Redstone" after "Redstone Resources": a company's short name is its start.
                # Not of two names the model ran together ("Asiana Boeing 777 crashes", and
                # Boeing), nor, for a place, of a place named after it ("San Francisco" of San
                # Francisco General Hospital, which the model called an organisation), nor,
                # for an event, of a body ("Winter Paralympics" of the model's "Winter
                # Paralympics Opening Ceremony", an organisation).
                target = next(
                    (o for name, o in by_first.get(folded.split()[0], ())
                     if o is not group and name.startswith(folded + " ")
                     and name[len(folded) + 1 :] not in loose
                     and (group.kind != "place" or kind_from_words(o.name) != "place")
                     and (group.kind != "thing" or o.kind == "thing")),
                    None,
                )  # fmt: skip
            holder = None
            if (target is None and group.kind in ("organisation", "thing")
                    and group.key is None and " " in folded):  # fmt: skip
                # "Peace Prize" of the Nobel Peace Prize: a body's or a work's words, when one
                # name holds them.
                rarest = min(folded.split(), key=lambda w: len(by_word.get(w, ())))
                holder = _holder(group, folded, by_word.get(rarest, []), body)
                target = holder
            if target is not None and target is not group:
                target.mentions.extend(group.mentions)
                target.mentions.sort(key=lambda m: m.start)
                # A name met again by its last word is a person's; by its initials or its
                # first words, an organisation's: whatever the model called the short form.
                kind = (
                    target.kind
                    if target is holder or target is natural.get(folded) or len(holders) == 1
                    else "person"
                    if target is surnames.get(folded) or target is people.get(folded)
                    else "organisation"
                )
                _vote(target.votes, kind, sum(group.votes.values()))
                continue
            kept.append(group)
        # "Sharipov", found, and "Flight Engineer Salizhan Sharipov", which the model missed:
        # a lone name that a person's role puts a first name before is that person's.
        lone = [g for g in kept if " " not in g.name]
        full = _after_roles(text) if lone else {}
        taken = {fold(g.name) for g in groups + kept}
        for group in lone:
            whole = full.get(group.name)
            if whole is not None and fold(whole) not in taken:
                group.name = whole
                _vote(group.votes, "person", CUE_VOTE)
        self._recount(groups + kept, text)
        groups = [g for g in groups if g.mentions]  # a place met only inside another name
        titled = set(_TITLED.findall(text))
        for group in kept:
            # Every mention now counts, the model's and those it missed; then the name's own
            # words, which outweigh any label ("Tigris River" is a place); then a title
            # before its last word anywhere in the story ("Ms Yousafzai").
            _decide_kind(group, text, places, adjectives, person_ends)
            if group.kind in NAMED_KINDS or group.kind == "thing":
                by_words = kind_from_words(group.name)
                if group.kind == "thing" and (
                    (by_words != "organisation" and not place_first(group.name))
                    or any(_quoted(text, m) for m in group.mentions)
                ):
                    # The model may call a body a work ("the Charity Commission"); a work
                    # named after a place ("Cry Me a River") or in quotes ("Fight Club") stays
                    # a work, not a mountain or a lake ("Mount Carrow", "Loch Ailsa").
                    by_words = None
                if by_words is not None:
                    group.kind, group.kind_votes = by_words, {}  # the name decides, for good
                elif is_storm(group.name, text):
                    group.kind, group.kind_votes = "thing", {}
                elif any(ch.isdigit() for ch in group.name) and (
                    group.kind == "person" or (group.kind == "place" and " " not in group.name)
                ):
                    group.kind = "thing"  # "G8", "IE6": no one's or no town's name has a number
                elif _titled(group.name, titled):
                    group.kind = "person"
                    # "Ms Yousafzai": a title outweighs all else the story says
                    group.kind_votes["person"] = sum(group.kind_votes.values()) + CUE_VOTE
        groups += kept
        self._title_mentions(groups, text, layout)
        for group in groups:
            free = [m for m in group.mentions if not m.within]
            group.mentions = free or group.mentions
            first = group.mentions[0].start
            group.mid_sentence = bool(_MID_SENTENCE.search(text, max(0, first - 3), first))
            group.prominent = any(
                layout.where(m.start)[0] in ("headline", "standfirst") for m in group.mentions
            )
        return [g for g in groups if not self._unsure(g) and not _common_word(g, text, body)]

    @staticmethod
    def _recount(groups: list[_Group], text: str) -> None:
        """Add the mentions the model missed of names it found elsewhere in the story (it
        often tags a name in one sentence and not the next), and a person's bare surname.

        One Aho-Corasick pass over the text finds every form of every group; longer forms win
        where they overlap, and a form shared by two groups goes to the first. Linear in the
        text, so a story of megabytes costs seconds, not hours. A form's case may differ where
        the text capitalises it too, in mixed case ("Wikileaks" for WikiLeaks; not "Seat" for
        SEAT, nor "HOPE" for Hope)."""
        owners: dict[str, _Group] = {}
        exact: set[str] = set()
        capitals: set[str] = set()  # forms in capitals only: met in their own case only
        for group in groups:
            if group.key is not None or group.kind == "theme":
                continue  # the gazetteer already found every registry name
            forms = {m.text for m in group.mentions}
            words = group.name.split()
            if group.kind == "person" and len(words) >= 2:
                forms.add(words[-1])
            for form in forms:
                if len(form) >= 3:
                    owners.setdefault(ascii_lower(form), group)
                    exact.add(form)
                    if form.isupper():
                        capitals.add(ascii_lower(form))
        if not owners:
            return
        automaton = ahocorasick.Automaton()
        for form in owners:
            automaton.add_word(form, form)
        automaton.make_automaton()
        found = []
        for end, form in automaton.iter(ascii_lower(text)):
            start, stop = end - len(form) + 1, end + 1
            shape = text[start:stop]
            if (
                (
                    shape in exact
                    or (shape[0].isupper() and not shape.isupper() and form not in capitals)
                )
                and (start == 0 or not _WORD.match(text[start - 1]))
                and (stop == len(text) or not _WORD.match(text[stop]))
            ):
                found.append((start, stop, form))
        taken = _Spans((m.start, m.end) for g in groups for m in g.mentions)
        # "Paris club creditors agree deal", where the story names the Paris Club: the
        # registry's place at the start of another name of the story is that name's.
        places = {
            m.start: (m, g)
            for g in groups
            if g.key is not None and g.kind == "place"
            for m in g.mentions
        }
        for start, stop, form in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
            group = owners[form]
            if not taken.claim(start, stop):
                held = places.get(start)
                if (held is None or held[1] is group or held[0].end >= stop
                        or not taken.claim(held[0].end, stop)):  # fmt: skip
                    continue
                held[1].mentions.remove(held[0])
            group.mentions.append(_Mention(start, stop, text[start:stop], group.kind))
        for group in {id(g): g for g in owners.values()}.values():  # each group once
            group.mentions.sort(key=lambda m: m.start)

    @staticmethod
    def _title_mentions(groups: list[_Group], text: str, layout: _Layout) -> None:
        """ "the chancellor", "the governor": a mention of the one person the story gave that
        title ("Chancellor Ilse Brandt"); when two people share it, of neither. A headline
        may name the title alone ("Indian foreign minister criticised"): that too."""
        holders: dict[str, list[tuple[_Group, set[str]]]] = {}
        for group in groups:
            if group.kind != "person":
                continue
            titles: dict[str, set[str]] = {}  # the title's last word -> all its words
            for m in group.mentions:
                # The model's span may hold the title ("Chancellor Ilse Brandt"), or the title
                # sits just before it ("Finance Minister Thandeka Ndlovu").
                before = text[max(0, m.start - 40) : m.start].split()
                words = [w.strip(",") for w in text[m.start : m.end].split()]
                lead = [w for w in words[:3] if fold(w).rstrip(".") in TITLE_WORDS]
                tail = []
                for word in reversed(before[-3:]):
                    if not word[:1].isupper() or fold(word).rstrip(".") not in TITLE_WORDS:
                        break
                    tail.append(word)
                titled = [fold(w).rstrip(".") for w in lead or tail[::-1]]
                if titled:
                    titles.setdefault(titled[-1], set()).update(titled)
            for title, said in titles.items():
                if title not in _VAGUE_TITLES:
                    holders.setdefault(title, []).append((group, said))
        taken = _Spans((m.start, m.end) for g in groups for m in g.mentions)
        head = next((p[:2] for p in layout.parts if p[2] == "headline"), None)
        for title, owners in holders.items():
            if len(owners) != 1:
                continue
            holder, said = owners[0]
            found = [
                match.span()
                for match in re.finditer(
                    rf"\b[Tt]he {re.escape(title)}\b(?! of\b)(?!,? [A-Z])", text
                )
            ]
            if head is not None and title not in _DECIDING:
                for match in re.finditer(
                    rf"(?<![\w-])(?i:{re.escape(title)})\b(?!,? [A-Z])", text[: head[1]]
                ):
                    if _same_title(text[head[0] : match.start()].split()[-2:], said):
                        found.append(match.span())
            for start, end in found:
                if taken.claim(start, end):
                    holder.mentions.append(_Mention(start, end, text[start:end], "person"))
            holder.mentions.sort(key=lambda m: m.start)
        if head is not None:
            ambiguous = {title for title, owners in holders.items() if len(owners) > 1}
            Tagger._headline_roles(groups, text, layout, head, ambiguous, taken)

    @staticmethod
    def _headline_roles(
        groups: list[_Group], text: str, layout: _Layout, head: tuple[int, int],
        ambiguous: set[str], taken: _Spans,
    ) -> None:  # fmt: skip
        """ "Syrian defence minister defects", over "Former Syrian minister of defense General
        Ali Habib has defected", or "Indian foreign minister criticised", over "India's foreign
        minister has been criticised ... . S.M. Krishna read out the wrong speech": a role the
        headline names without a name is the person the lead names right after the same role,
        or who begins the sentence after the one the role begins. Not a role two people of
        the story hold by title (`ambiguous`); not anyone farther away ("the premier will
        visit, Foreign Minister Penny Wong said" is not Penny Wong's)."""
        lead = next((p for p in layout.parts if p[2] == "lead"), None)
        if lead is None:
            return
        people = {
            m.start: g for g in groups if g.kind == "person" for m in g.mentions
            if lead[0] <= m.start < lead[1]
        }  # fmt: skip
        if not people:
            return
        for match in _HEAD_ROLE.finditer(text, head[0], head[1]):
            role = match.group().casefold()
            before = text[head[0] : match.start()].split()[-2:]
            if role in ambiguous or role in _DECIDING:
                continue
            # "Foreign minister quits" is not the lead's "Prime Minister Jonah Okafor".
            qualifier = fold(before[-1]) if before else ""
            phrase = re.escape(role)
            if qualifier in TITLE_WORDS - _VAGUE_TITLES:
                phrase = f"{re.escape(qualifier)} {phrase}"
            said = re.compile(rf"(?<![\w-]){phrase}\b", re.IGNORECASE).search(text, *lead[:2])
            if said is None:
                continue
            holder = None
            near = _APPOSED.match(text, said.end(), lead[1])
            at = near.end() if near else -1
            for _ in range(3):  # the name, or up to two titles before it ("General Ali Habib")
                holder = people.get(at)
                title = _CAPITALISED.match(text, at) if holder is None and at >= 0 else None
                if title is None:
                    break
                at = title.end()
            # (the paragraph break before the lead counts as a sentence's start)
            opening = max(lead[0] - 1, said.start() - 40)
            if holder is None and _SENTENCE_START.search(text, opening, said.start()):
                stop = text.find(". ", said.end(), lead[1])
                holder = people.get(stop + 2) if stop != -1 else None
            if (
                holder is not None
                and all(m.start >= head[1] for m in holder.mentions)
                and taken.claim(match.start(), match.end())
            ):
                holder.mentions.append(
                    _Mention(match.start(), match.end(), match.group(), "person")
                )
                holder.mentions.sort(key=lambda m: m.start)

    @staticmethod
    def _unsure(group: _Group) -> bool:
        """A single capitalised word, met once in the body, that no registry knows: more often
        a sentence's first word or a stray label than a topic. Kept, as a passing mention
        only, where the sentence runs into it ("alcohol company Diageo", "the Dignitas clinic")
        and the model calls it an organisation or a place, or the words around it say what it
        is; the model's lone "person" there is mostly a stray surname."""
        if not (
            group.key is None
            and " " not in group.name
            and not is_acronym(group.name)
            and len(group.mentions) == 1
            and not group.prominent
        ):
            return False
        folded = fold(group.name)
        if folded in TITLE_WORDS or folded in ROLE_KINDS:
            return True  # "Defense", "Minister": a role's word, not a name
        cued = bool(group.kind_votes) and max(group.kind_votes.values()) > LABEL_VOTE
        group.passing = cued or (group.mid_sentence and group.kind in ("organisation", "place"))
        return not group.passing

    def _themes(self, layout: _Layout, groups: list[_Group]) -> list[_Group]:
        # The model's named things ("Olympics") give way to a subject the registry knows by
        # that name ("Olympic Games"), as does a lone word it gave any kind ("Moon water
        # possibly from comets", a person); other names hide the keywords inside them.
        subjects = self.subjects
        adopted: dict[str, list[_Mention]] = {}  # the mentions of a lone word, by subject
        for group in [g for g in groups if g.key is None and g.kind != "theme"]:
            if group.kind == "thing" and _YEAR.sub("", fold(group.name)) in subjects:
                groups.remove(group)
            elif (
                (first := group.name.split()[0])
                and fold(first) in subjects
                and all(w.islower() for w in group.name.split()[1:])
                and (group.kind != "person" or _as_noun(first, layout.text))
            ):
                # A person stays one ("Moon says talks will resume") unless the story speaks
                # of the thing ("water on the moon").
                # "Arctic sea ice hits record low": the model's "Arctic sea" is the Arctic.
                groups.remove(group)
                adopted[subjects[fold(first)]] = group.mentions
        names = _Spans(
            (m.start, m.end)
            for mentions in [*(g.mentions for g in groups), *adopted.values()]
            for m in mentions
        )
        hits: dict[str, list[_Mention]] = {}
        for pos, key, keyword in self.gazetteer.find_themes(layout.text):
            if names.covers(pos):
                continue  # "Energy" in "Kestrel Energy" says nothing about the subject
            hits.setdefault(key, []).append(_Mention(pos, pos + 1, keyword, "theme", key))
        for key, found in adopted.items():
            hits[key] = sorted(hits.get(key, []) + found, key=lambda m: m.start)
        themes = []
        for key, found in hits.items():
            entry = self.gazetteer.entries[key]
            # A keyword counts once per zone: "investors" five times is one signal, not five.
            seen: dict[tuple[str, str], _Mention] = {}
            for m in found:
                seen.setdefault((m.text, layout.where(m.start)[0]), m)
            zones = [zone for _, zone in seen]
            score = sum(ZONE_WEIGHT[zone] for zone in zones)
            # Naming the theme ("climate change") is a signal of its own; one other word said
            # twice ("police … police") is not yet a subject.
            named = fold(entry.name) in {m.text for m in found}
            varied = named or len({m.text for m in found}) >= 2 or "headline" in zones
            prominent = bool({"headline", "standfirst"} & set(zones))
            if _is_subject(entry):
                # A named subject ("Islam", "the Olympic Games") is what the story is about
                # when its headline names it or two paragraphs do; a passing "internet" is not,
                # unless the model took it for a name (which would have been a topic).
                paragraphs = {layout.where(m.start)[1] for m in found}
                if not (prominent or len(paragraphs) >= 2 or key in adopted):
                    continue
            elif not (score + named * ZONE_WEIGHT["body"] >= THEME_MIN_SCORE and varied):
                continue
            subject = _is_subject(entry)
            # A subject is counted like a name, every mention; a keyword theme once a zone.
            kept = found if subject else list(seen.values())
            themes.append(
                _Group(entry.name, "theme", key, kept, prominent=prominent, subject=subject)
            )
        return themes

    def _weigh(self, groups: list[_Group], layout: _Layout) -> None:
        paragraphs = max(1, sum(1 for p in layout.parts if p[2] in ("lead", "body")))
        text = layout.text
        for group in groups:
            score = 0.0
            spread = set()
            for m in group.mentions:
                zone, para = layout.where(m.start)
                if zone == "lead" and _is_dateline(text, m):
                    score += DATELINE_WEIGHT
                    continue
                score += ZONE_WEIGHT[zone]
                if zone in ("lead", "body"):
                    spread.add(para)
                if group.kind == "person" and (
                    _SPEECH.match(text[m.end : m.end + 20])
                    or _SPEECH_BEFORE.search(text[max(0, m.start - 20) : m.start])
                ):
                    score += SPEAKER_BONUS
            score += QUOTE_WEIGHT * group.quotes
            share = len(spread) / paragraphs
            group.paragraphs = len(spread)
            group.score = score * KIND_WEIGHT[group.kind] * (0.6 + 0.4 * share)
            group.features["speaker"] = float(score > 0 and any(
                _SPEECH.match(text[m.end : m.end + 20])
                or _SPEECH_BEFORE.search(text[max(0, m.start - 20) : m.start])
                for m in group.mentions
            ))  # fmt: skip
            group.features["spread"] = share
        self._features(groups, layout)

    @staticmethod
    def _features(groups: list[_Group], layout: _Layout) -> None:
        """What the salience model reads (topics.tagging.salience.FEATURES), per named group."""
        text = layout.text
        named = [g for g in groups if g.named]
        if not named:
            return
        top = max(g.score for g in named) or 1.0
        most = max(len(g.mentions) for g in named)
        zones: dict[int, set[str]] = {id(g): set() for g in named}
        # The lead sentence: the first paragraph up to its first full stop.
        lead = next((p for p in layout.parts if p[2] == "lead"), None)
        lead_end = -1
        if lead is not None:
            stop = text.find(". ", lead[0], lead[1])
            lead_end = stop if stop != -1 else lead[1]
        starts = {m.start for g in named for m in g.mentions}
        firsts: dict[str, tuple[int, int]] = {}  # zone -> (position, group id), first non-setting
        settings: dict[int, bool] = {}
        demonyms: dict[int, bool] = {}
        head_at: dict[int, int] = {}
        head = next((p for p in layout.parts if p[2] == "headline"), (0, 1, "", 0))
        for g in named:
            for m in g.mentions:
                zone, _ = layout.where(m.start)
                zones[id(g)].add(zone)
                setting = bool(_SETTING_BEFORE.search(text[max(0, m.start - 12) : m.start]))
                if zone == "headline":
                    settings[id(g)] = settings.get(id(g), True) and setting
                    demonyms[id(g)] = demonyms.get(id(g), True) and m.demonym
                    if id(g) not in head_at:
                        head_at[id(g)] = m.start
                if setting or m.demonym or (zone == "lead" and _is_dateline(text, m)):
                    continue
                if zone in ("headline", "lead") and _modifies(text, m.end, starts):
                    continue  # "Al-Qaeda commander Abou Zeid killed": the commander is
                where = "lead_sentence" if zone == "lead" and m.start < lead_end else zone
                if where not in firsts or m.start < firsts[where][0]:
                    firsts[where] = (m.start, id(g))
        length = max(1, len(text))
        for g in named:
            seen = zones[id(g)]
            f = g.features
            f["rule"] = g.score / top
            f["headline"] = float("headline" in seen)
            f["headline_first"] = float(firsts.get("headline", (0, 0))[1] == id(g))
            f["headline_setting"] = float(settings.get(id(g), False))
            f["headline_demonym"] = float(demonyms.get(id(g), False))
            f["lead"] = float(bool({"standfirst", "lead"} & seen))
            f["lead_subject"] = float(firsts.get("lead_sentence", (0, 0))[1] == id(g))
            f["mentions"] = math.log1p(len(g.mentions)) / math.log1p(most)
            f["first_position"] = 1.0 - min(m.start for m in g.mentions) / length
            for kind in ("person", "organisation", "place"):
                f[kind] = float(g.kind == kind)
            f["registry"] = float(g.key is not None)
            f["demonym"] = sum(m.demonym for m in g.mentions) / len(g.mentions)
            f["most_mentioned"] = float(len(g.mentions) == most)
            f["headline_position"] = (
                1.0 - (head_at[id(g)] - head[0]) / max(1, head[1] - head[0])
                if id(g) in head_at
                else 0.0
            )
            f["one_word"] = float(" " not in g.name and not is_acronym(g.name))

    def _rank(
        self, groups: list[_Group], hint: str | None, listed: Sequence[str] = ()
    ) -> list[Candidate]:
        if not groups and not hint and not listed:
            return []
        # Named topics set the scale; themes are measured against it and kept below the named
        # topics a story is about: "Elections" is what a story on a vote is also about, never
        # more than the parties and places it names.
        named = [g.score for g in groups if g.named]
        top = max(named or [g.score for g in groups] or [1.0]) or 1.0
        salience = self._salience(groups, top)
        candidates = [
            Candidate(
                name=g.name,
                kind=g.kind,
                key=g.key,
                salience=round(salience[id(g)], 3),
                role="about" if self._about(g, top) else "mention",
                mentions=len(g.mentions),
                forms=sorted({m.text for m in g.mentions if g.kind != "theme"}),
                features=g.features,
                quoted=g.quotes,
                kind_votes=dict(g.kind_votes) if g.kind in NAMED_KINDS else {},
                passing=g.passing,
            )
            for g in groups
        ]
        self._apply_listed(candidates, listed)
        candidates.sort(key=lambda c: (-c.salience, c.name))
        primary = self._primary(candidates, hint)
        if primary is not None:
            primary.role = "primary"
            candidates.remove(primary)
            candidates.insert(0, primary)
        for c in candidates:
            if c.kind == "thing":
                c.kind = "theme"  # the registry's kinds: a named thing is followed as a theme
        return candidates

    def _salience(self, groups: list[_Group], top: float) -> dict[int, float]:
        """0..1 per group, the story's most salient named topic at 1: the fitted model's
        probability where there is one, else the rule score. Themes stay below THEME_SALIENCE."""
        scores = {id(g): g.score / top for g in groups}
        named = [g for g in groups if g.named]
        if self.salience is not None and named:
            model = {id(g): self.salience.ranking.score(g.features) for g in named}
            best = max(model.values()) or 1.0
            scores.update({key: value / best for key, value in model.items()})
        return {
            id(g): scores[id(g)] if g.named else min(THEME_SALIENCE, scores[id(g)]) for g in groups
        }

    def _apply_listed(self, candidates: list[Candidate], listed: Sequence[str]) -> None:
        """The page's own topics are about the story: raised to LISTED_SALIENCE, and a registry
        topic the text never names is added. A listed name neither the text nor the registry
        knows is left out: its kind would be a guess."""
        for name in listed[:20]:
            folded, key = fold(clean_name(name)), self.gazetteer.key_for(name)
            match = next(
                (c for c in candidates if (key and c.key == key) or fold(c.name) == folded), None
            )
            if match is None and key is not None:
                entry = self.gazetteer.entries[key]
                match = Candidate(entry.name, entry.kind, key, forms=[name])
                candidates.append(match)
            if match is not None:
                match.salience = max(match.salience, LISTED_SALIENCE)
                match.role = "about"
                match.listed = True

    @staticmethod
    def _about(group: _Group, top: float) -> bool:
        """Named in the headline or standfirst, high on the scale, or a name the story comes
        back to in another paragraph; otherwise a passing mention. Themes only get here past
        their own threshold."""
        if group.passing:
            return False
        if group.prominent or group.score / top >= ABOUT_SALIENCE or group.kind == "theme":
            return True  # a theme that passed its threshold is what the story is about
        return group.paragraphs >= 2

    def _primary(self, candidates: list[Candidate], hint: str | None) -> Candidate | None:
        if hint:
            folded = fold(clean_name(hint))
            key = self.gazetteer.key_for(hint)
            for c in candidates:
                if (key and c.key == key) or fold(c.name) == folded:
                    return c
            if key:
                entry = self.gazetteer.entries[key]
                hinted = Candidate(entry.name, entry.kind, key, salience=1.0, forms=[hint])
                candidates.append(hinted)
                return hinted
        named = [c for c in candidates if (c.kind != "theme" or c.features) and not c.passing] or [
            c for c in candidates if not c.passing
        ]
        if not named:
            return None
        scored = [c for c in named if c.features]
        if self.salience is not None and scored:
            model = self.salience.primary
            return max(scored, key=lambda c: (model.linear(c.features), c.salience))
        curated = [c for c in named if c.key is not None]
        # A registry topic is preferred, but not one far behind a newcomer the story is about.
        if curated and curated[0].salience >= CURATED_PRIMARY_SHARE * named[0].salience:
            return curated[0]
        return named[0]
