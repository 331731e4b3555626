"""Who said what: the direct quotes of a story and their speakers. Pure: paragraphs and the
tagger's people and organisations in, quotes out.

1. **Quotes** are the words between quotation marks, straight or curly. A quote left open at a
   paragraph's end runs on when the next paragraph opens with a mark (the news convention for
   a quote over several paragraphs). A quote split by its attribution (`"…," she said. "…"`)
   is one quote. Short ones inside a sentence (a few words, scare quotes, titles) are kept but
   marked `partial`.
2. **Speakers** come from the patterns news uses, nearest first: `"…," said NAME` /
   `"…," NAME said` / `"…," he said` / `"…," NAME told AUDIENCE` / `according to NAME` /
   `NAME said: "…"`; a quote standing alone takes the speaker of the paragraph before. A
   pronoun is the latest person of its gender named before the quote (Mr/Ms, or a he/she after
   a name, tell the gender), else the latest person. Names become the story's topics: "Ms
   Lindqvist" is Mara Lindqvist; organisations speak too ("the Pentagon said").
3. **Roles**: an apposition after the name (`NAME, head of ORG,`), or words before it
   (`Harbour Authority chair NAME`, `ORG's chief executive, NAME`).
"""

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from topics.tagging.text import TITLE_WORDS, clean_name, fold, kind_from_words

__all__ = ["Quote", "Speaker", "find_quotes"]

OPEN = '“"«„'
CLOSE = '”"»“'
_SPEECH = (
    r"(?:said|says|say|added|adds|told|tells|warned|warns|explained|insisted|argued|noted|"
    r"stated|wrote|writes|asked|replied|recalled|claimed|declared|announced|conceded|"
    r"admitted|continued|went on)"
)
_PRONOUNS = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f"}
_MALE = {"mr", "sir", "lord", "king", "prince", "father", "brother", "husband", "son", "uncle"}
_FEMALE = {"ms", "mrs", "miss", "dame", "lady", "queen", "princess", "sister", "wife",
           "daughter", "mother", "aunt", "widow"}  # fmt: skip
_NAME = r"(?:[A-Z][\w'’.-]*(?:\s+(?:de|da|van|von|al|bin|der|la|le|du|[A-Z][\w'’.-]*))*)"
# `"…," said Mara Lindqvist` / `"…," said Ms Lindqvist` / `"…" said the Pentagon`
_AFTER_SAID_NAME = re.compile(
    rf"^[\s,.!?—–-]*(?:{_SPEECH})\s+(?P<lead>(?:[a-z][\w'’-]*\s+){{0,4}}?)"
    rf"(?P<name>(?:the\s+)?{_NAME})",
    re.UNICODE,
)
# Any attribution at all after a quote (`"…," residents said`): then the quote does not stand
# alone, even when its speaker is nobody the story names.
_AFTER_ANY = re.compile(
    rf"^[\s,.!?—–-]*(?:[\w'’-]+\s+){{1,5}}?(?:{_SPEECH})\b|^[\s,.!?—–-]*(?:{_SPEECH})\b"
)
# `"…," Mara Lindqvist said` / `"…," she said` / `"…," the company said`
_AFTER_NAME_SAID = re.compile(
    rf"^[\s,.!?—–-]*(?P<name>(?:the\s+[a-z]+(?:\s+[a-z]+)?)|he|she|they|it|(?:the\s+)?{_NAME})"
    rf"(?:,\s*[^,\"“”]{{1,80}},)?\s+(?:has\s+|had\s+|have\s+)?(?:{_SPEECH})\b",
    re.UNICODE,
)
# `"…," a spokesperson said` / `"…," one resident said`: a speaker the story does not name.
_AFTER_UNNAMED = re.compile(
    rf"^[\s,.!?—–-]*(?:a|an|one|another|some)\s+[a-z]+(?:\s+[a-z]+)?\s+(?:{_SPEECH})\b"
)
# `"…," Kestrel Energy's chief executive, Mara Lindqvist, said.`
_AFTER_ROLE_NAME_SAID = re.compile(
    rf"^[\s,]*(?P<role>[^,\"“”.]{{3,80}}),\s+(?P<name>{_NAME}),\s+(?:{_SPEECH})\b", re.UNICODE
)
_ACCORDING_AFTER = re.compile(rf"^[\s,.—–-]*according\s+to\s+(?P<name>(?:the\s+)?{_NAME})")
# `Mara Lindqvist said: "…"` / `According to Mara Lindqvist, "…"` / `She said: "…"`
_BEFORE = re.compile(
    rf"(?:(?P<name>(?:the\s+)?{_NAME}|[Hh]e|[Ss]he)(?:,\s*[^,\"“”]{{1,80}},|,)?\s+"
    rf"(?:(?:also|later|then|again|once|[a-z]+ly)\s+){{0,2}}(?:has\s+|had\s+)?(?:{_SPEECH})"
    rf"(?:\s+[a-z]+){{0,3}}?(?:\s+that)?\s*[:,]?\s*$)"
    rf"|(?:[Aa]ccording\s+to\s+(?P<according>(?:the\s+)?{_NAME})\s*,?\s*$)",
    re.UNICODE,
)
NEAR = 300  # characters either side of a quote where its attribution may be
LOOK_BACK = 200  # mentions looked back over for a pronoun's person
MAX_QUOTES = 300  # a story's quotes read at most: a page of 500,000 "“a”" is no story
# What a story calls the company it is about; "the council", "the ministry", "the board" name
# a particular body, and must match its name.
_GENERIC_ORG_NOUNS = frozenset(
    [
        "company",
        "firm",
        "airline",
        "carrier",
        "group",
        "business",
        "retailer",
        "bank",
        "operator",
        "broadcaster",
        "club",
        "team",
        "startup",
        "manufacturer",
        "maker",
        "insurer",
        "developer",
        "lender",
        "supermarket",
        "chain",
    ]
)
_STATEMENT_RULES = {"said NAME", "NAME said", "pronoun", "ROLE, NAME, said", "said ROLE NAME",
                    "NAME said:", "the ORG", "according to NAME"}  # fmt: skip
_STOP_WORDS = {"the", "a", "an", "this", "that", "it", "but", "and", "in", "on", "at"}


@dataclass
class Speaker:
    """A person or organisation of the story, as the quote finder sees it."""

    name: str
    kind: str  # "person" or "organisation"
    key: str | None = None  # the topic slug, when the registry knows it
    forms: Sequence[str] = ()  # every way the story wrote it ("Ms Lindqvist", "Lindqvist")


@dataclass
class Quote:
    text: str
    paragraph: int
    partial: bool = False
    speaker: str | None = None  # the speaker's name as the story's topic has it
    speaker_key: str | None = None
    speaker_kind: str | None = None
    role: str | None = None
    pattern: str = ""  # which rule found the speaker, for the editors and the evaluation
    _start: int = field(default=0, repr=False)
    _end: int = field(default=0, repr=False)


@dataclass
class _Span:
    paragraph: int
    start: int  # offsets in that paragraph, the marks excluded
    end: int
    text: str
    closed: bool = True
    parts: list[tuple[int, int, int]] = field(default_factory=list)  # (paragraph, start, end)


def _spans(paragraphs: Sequence[str], limit: int = 10**9) -> list[_Span]:
    """Every quoted stretch, with the paragraph it starts in; a quote over paragraphs is one."""
    spans: list[_Span] = []
    carry: _Span | None = None
    for number, paragraph in enumerate(paragraphs):
        if len(spans) >= limit:
            break
        i = 0
        if carry is not None:
            # The quote goes on if this paragraph opens with a mark; else it ended unclosed.
            stripped = paragraph.lstrip()
            if stripped[:1] in OPEN:
                i = len(paragraph) - len(stripped) + 1
                close = _find_close(paragraph, i)
                end = close if close != -1 else len(paragraph)
                carry.text += " " + paragraph[i:end].strip()
                carry.parts.append((number, i, end))
                if close != -1:
                    carry.closed = True
                    spans.append(carry)
                    carry = None
                    i = close + 1
                else:
                    continue
            else:
                spans.append(carry)
                carry = None
        while i < len(paragraph) and len(spans) < limit:
            ch = paragraph[i]
            if ch in OPEN and _opens(paragraph, i):
                close = _find_close(paragraph, i + 1)
                if close == -1:
                    carry = _Span(
                        number, i + 1, len(paragraph), paragraph[i + 1 :].strip(), closed=False
                    )
                    carry.parts.append((number, i + 1, len(paragraph)))
                    break
                spans.append(_Span(number, i + 1, close, paragraph[i + 1 : close].strip(),
                                   parts=[(number, i + 1, close)]))  # fmt: skip
                i = close + 1
                continue
            i += 1
    if carry is not None:
        spans.append(carry)
    return [s for s in spans if s.text]


def _opens(paragraph: str, i: int) -> bool:
    """A straight mark opens when it follows a space, a bracket or the paragraph's start."""
    if paragraph[i] != '"':
        return paragraph[i] in "“«„"
    return i == 0 or paragraph[i - 1] in " \t([—–-:"


def _find_close(paragraph: str, start: int) -> int:
    for j in range(start, len(paragraph)):
        ch = paragraph[j]
        if ch in "”»" or (
            ch == '"' and (j + 1 == len(paragraph) or not paragraph[j + 1].isalnum())
        ):
            return j
        if ch == "“" and j > start and paragraph[j - 1] not in " ([":
            return j  # a German-style closing mark
    return -1


def _partial(span: _Span, paragraph: str) -> bool:
    """A few words inside a sentence: scare quotes, a phrase, a title."""
    words = span.text.split()
    ends_sentence = bool(re.search(r"[.,!?…—–-]$", span.text))
    before = paragraph[: span.start - 1].rstrip()
    introduced = before.endswith(":") or not before
    if len(words) >= 6 and (ends_sentence or introduced or not span.closed):
        return False
    return not (ends_sentence and len(words) >= 3)


class _People:
    """The story's speakers and where each is named, for names, pronouns and recency."""

    def __init__(self, speakers: Sequence[Speaker], paragraphs: Sequence[str]) -> None:
        self.speakers = list(speakers)
        self.by_form: dict[str, Speaker] = {}
        surnames: dict[str, list[Speaker]] = {}
        for s in self.speakers:
            for form in (s.name, *s.forms):
                self.by_form.setdefault(fold(form), s)
            words = s.name.split()
            if s.kind == "person" and len(words) >= 2:
                self.by_form.setdefault(fold(words[-1]), s)
                surnames.setdefault(fold(words[-1]), []).append(s)
        # A surname two people of the story share ("Mr Whitfield", "Ms Whitfield") points at
        # neither by itself: it waits for the genders the full names teach.
        self.shared = {name: people for name, people in surnames.items() if len(people) > 1}
        self.gender: dict[str, str] = {}
        # Every mention, in reading order: (paragraph, offset, speaker)
        self.mentions: list[tuple[int, int, Speaker]] = []
        self.keys: list[tuple[int, int]] = []
        waiting: list[tuple[int, int, str, str]] = []  # (paragraph, offset, surname, title)
        forms = sorted(self.by_form, key=len, reverse=True)
        if forms:
            pattern = re.compile(
                r"(?<![\w])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w])"
            )
            for number, paragraph in enumerate(paragraphs):
                folded = fold(paragraph)
                if len(folded) != len(paragraph):
                    folded = paragraph.casefold()  # offsets must line up; accents rarely matter
                for match in pattern.finditer(folded):
                    form = match.group(1)
                    words = form.split()
                    if (
                        words
                        and words[-1] in self.shared
                        and (len(words) == 1 or words[0].rstrip(".") in _MALE | _FEMALE)
                    ):
                        before = folded[max(0, match.start() - 12) : match.start()].split()
                        title = words[0] if len(words) > 1 else (before[-1] if before else "")
                        waiting.append((number, match.start(), words[-1], title.rstrip(".")))
                        continue
                    speaker = self.by_form.get(form)
                    if speaker is None:
                        continue
                    self.mentions.append((number, match.start(), speaker))
                    self._learn_gender(speaker, paragraph, match.start(), match.end())
        for number, at, surname, title in waiting:
            gender = "m" if title in _MALE else "f" if title in _FEMALE else None
            fitting = [
                s for s in self.shared[surname] if gender and self.gender.get(s.name) == gender
            ]
            if len(fitting) == 1:
                self.mentions.append((number, at, fitting[0]))
        self.mentions.sort(key=lambda m: (m[0], m[1]))
        self.keys = [(number, at) for number, at, _ in self.mentions]

    def _learn_gender(self, speaker: Speaker, paragraph: str, start: int, end: int) -> None:
        if speaker.kind != "person":
            return
        if speaker.name in self.gender:
            return
        before = paragraph[max(0, start - 12) : start].split()
        inside = paragraph[start:end].split()
        # The title may be part of the form matched ("Ms Lindqvist") or just before it.
        title = fold(inside[0]).rstrip(".") if len(inside) > 1 else ""
        if title not in _MALE | _FEMALE:
            title = fold(before[-1]).rstrip(".") if before else ""
        if title in _MALE:
            self.gender[speaker.name] = "m"
        elif title in _FEMALE:
            self.gender[speaker.name] = "f"
        else:
            # "Amara Diallo … said he would" / "…, who said she": the subject pronoun soon
            # after the name ("thanked her" is somebody else).
            after = re.match(
                r"^[^.\"“”]{0,60}?(?:\b(?:said|says|who)\s+|,\s*|\band\s+)(he|she|his|her)\b"
                r"(?!\s+(?:own\b))",
                paragraph[end:],
            )
            if after:
                self.gender[speaker.name] = _PRONOUNS[after.group(1)]

    def main_organisation(self) -> list[Speaker]:
        """The organisation mentioned most, when one is mentioned more than any other."""
        counts: dict[str, int] = {}
        by_name: dict[str, Speaker] = {}
        for _, _, speaker in self.mentions:
            if speaker.kind == "organisation":
                counts[speaker.name] = counts.get(speaker.name, 0) + 1
                by_name[speaker.name] = speaker
        ranked = sorted(counts.items(), key=lambda item: -item[1])
        if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
            return []
        return [by_name[ranked[0][0]]]

    def resolve(self, name: str) -> Speaker | None:
        words = name.split()
        title = fold(words[0]).rstrip(".") if len(words) > 1 else ""
        shared = self.shared.get(fold(words[-1]))
        if shared:
            # "Ms Whitfield" when two Whitfields are in the story: the one of her gender;
            # a bare shared surname is nobody in particular.
            gender = "m" if title in _MALE else "f" if title in _FEMALE else None
            fitting = [s for s in shared if gender and self.gender.get(s.name) == gender]
            full = self.by_form.get(fold(name))
            if full is not None and fold(full.name) == fold(name):
                return full
            return fitting[0] if len(fitting) == 1 else None
        while words and fold(words[0]).rstrip(".") in TITLE_WORDS | {"the"}:
            if len(words) == 1:
                break
            words = words[1:]
        for candidate in (" ".join(words), name):
            found = self.by_form.get(fold(candidate))
            if found is not None:
                return found
        return None

    def latest(
        self, paragraph: int, offset: int, gender: str | None, *, kind: str = "person"
    ) -> Speaker | None:
        """The speaker of `kind` named last before (paragraph, offset): for a pronoun, the
        last person of its gender, else (no gender known for anyone fitting) the last person."""
        # The mentions are in reading order: look back from the quote, a bounded way.
        end = bisect.bisect_left(self.keys, (paragraph, offset))
        window = [s for _, _, s in self.mentions[max(0, end - LOOK_BACK) : end]]
        fitting = [s for s in window if s.kind == kind]
        if not fitting and kind == "person":
            fitting = [s for s in window if _looks_like_a_person(s)]
        if gender is not None:
            same = [s for s in fitting if self.gender.get(s.name) == gender]
            if same:
                return same[-1]
            # Nobody known to be of that gender: the last person whose gender is unknown.
            unknown = [s for s in fitting if s.name not in self.gender]
            return unknown[-1] if unknown else None
        return fitting[-1] if fitting else None


def _looks_like_a_person(speaker: Speaker) -> bool:
    """The model sometimes calls a person an organisation ("Eleanor Price"): a name of two or
    three capitalised words, no registry entry and no word that makes it a body or a place."""
    words = speaker.name.split()
    return (
        speaker.kind == "organisation"
        and speaker.key is None
        and 2 <= len(words) <= 3
        and all(w[:1].isupper() and w.isalpha() for w in words)
        and kind_from_words(speaker.name) is None
    )


def find_quotes(paragraphs: Sequence[str], speakers: Sequence[Speaker]) -> list[Quote]:
    people = _People(speakers, paragraphs)
    quotes: list[Quote] = []
    for span in _spans(paragraphs, MAX_QUOTES)[:MAX_QUOTES]:
        paragraph = paragraphs[span.paragraph]
        quote = Quote(span.text, span.paragraph, _partial(span, paragraph))
        quote._start, quote._end = span.start, span.end
        last_paragraph, _, last_end = (
            span.parts[-1] if span.parts else (span.paragraph, 0, span.end)
        )
        # Attributions sit right beside their quote; reading no further keeps a hostile
        # paragraph (a megabyte without a full stop) linear.
        after = paragraphs[last_paragraph][last_end + 1 : last_end + 1 + NEAR]
        before = paragraph[max(0, span.start - 1 - NEAR) : max(0, span.start - 1)]
        _attribute(quote, before, after, people, last_paragraph, span.start)
        if quote.speaker and quote.pattern in _STATEMENT_RULES:
            # `"We won," she said.` / `She said: "We won."`: a statement however short;
            # `said it was "disappointed"` stays a few words in a sentence.
            quote.partial = False
        quotes.append(quote)
    _join_split(quotes, paragraphs)
    _carry_over(quotes, paragraphs, people)
    return quotes


def _attribute(
    quote: Quote, before: str, after: str, people: _People, paragraph: int, offset: int
) -> None:
    """Look after the quote first (the commonest order in news), then before it."""
    if _AFTER_UNNAMED.match(after):
        quote.pattern = "unnamed"
        return
    match = _AFTER_ROLE_NAME_SAID.match(after)
    if match and _assign(quote, match.group("name"), people, paragraph, offset, "ROLE, NAME, said"):
        quote.role = match.group("role").strip()
        return
    for pattern, rule in ((_AFTER_SAID_NAME, "said NAME"), (_AFTER_NAME_SAID, "NAME said"),
                          (_ACCORDING_AFTER, "according to NAME")):  # fmt: skip
        match = pattern.match(after)
        if match and _assign(quote, match.group("name"), people, paragraph, offset, rule):
            lead = match.groupdict().get("lead") or ""
            if lead.strip():
                quote.role, quote.pattern = lead.strip(), "said ROLE NAME"  # said club captain X
            quote.role = quote.role or _role_after(after[match.end("name") :])
            return
    if _AFTER_ANY.match(after):
        # Attributed, to someone we cannot name: never to a guess from elsewhere.
        quote.pattern = "unresolved"
        return
    sentence = re.split(r"(?<=[.!?])\s+", before)[-1] if before.strip() else ""
    match = _BEFORE.search(sentence)
    if match:
        name = match.group("name") or match.group("according")
        rule = "according to NAME" if match.group("according") else "NAME said:"
        ahead = sentence[: match.start()].split()
        if ahead and ahead[-1] in ("of", "in", "from", "at", "for", "near", "with"):
            return  # "Residents of Fenmoor said:": a group, not Fenmoor
        if not match.group("according") and not sentence.rstrip().endswith((":", ",")):
            rule = "said it was"  # `Northline said it was "disappointed"`: words in a sentence
        if name and _assign(quote, name, people, paragraph, offset, rule):
            quote.role = quote.role or _role_before(sentence[: match.start()], quote)
            return


def _assign(
    quote: Quote, name: str, people: _People, paragraph: int, offset: int, rule: str
) -> bool:
    name = name.strip().rstrip(".,;:")
    lowered = name.casefold()
    speaker: Speaker | None
    if lowered in _PRONOUNS or lowered in ("he", "she"):
        speaker = people.latest(paragraph, offset, _PRONOUNS.get(lowered))
        rule = "pronoun"
    elif lowered in ("they", "it", "we"):
        return False  # a group or a thing: nobody to name
    elif lowered.startswith("the ") and people.resolve(name) is None:
        # "the ministry said": the one organisation whose name holds the word; "the
        # company said" names nobody unless exactly one organisation is a company.
        noun = lowered.split()[-1]
        holders = [
            s for s in people.speakers
            if s.kind == "organisation" and noun in fold(s.name).split()
        ]  # fmt: skip
        if not holders and noun in _GENERIC_ORG_NOUNS:
            # "the company said" in a story about one company: the most mentioned one.
            holders = people.main_organisation()
        if len(holders) != 1:
            return False
        speaker = holders[0]
        rule = "the ORG"
    else:
        speaker = people.resolve(name)
        if speaker is None:
            if fold(name.split()[0]) in _STOP_WORDS:
                return False
            # A speaker the tagger did not keep (named once, say): still a speaker.
            quote.speaker, quote.pattern = clean_name(name, person=True), rule
            return True
    if speaker is None:
        return False
    quote.speaker, quote.speaker_key, quote.speaker_kind = speaker.name, speaker.key, speaker.kind
    quote.pattern = rule
    return True


_ROLE_AFTER = re.compile(
    r"^,\s*(?P<role>(?:the|a|an|its|their|his|her|who\s+is)?\s*[a-z][^,.;\"“”]{2,100}?)(?:,|\.|;|$)"
)


def _role_after(rest: str) -> str | None:
    """`, head of the Harbour Authority,` / `, a former admiral and now a researcher at X.`"""
    match = _ROLE_AFTER.match(rest)
    if not match:
        return None
    role = match.group("role").strip()
    if re.match(r"(?:who|which|whose|when|where)\b(?!\s+is\b)", role):
        return None  # "who founded Halden in 2017" tells what they did, not what they are
    role = re.sub(r"^who\s+is\s+", "", role)
    if role.split()[0] in ("said", "says", "told", "added") or len(role.split()) > 14:
        return None
    return role


def _role_before(text: str, quote: Quote) -> str | None:
    """`Harbour Authority chair Ines Barros said:` → "Harbour Authority chair"."""
    words = text.rstrip(" ").split()
    if words and words[-1].endswith(","):
        if len(words) == 1:
            return None  # "Later, Bekele added:"
        words[-1] = words[-1].rstrip(",")
    role = []
    for word in reversed(words[-6:]):
        if word.endswith((".", ",", ";", ":")):
            break
        role.append(word)
    found = " ".join(reversed(role)).strip()
    # "Harbour Authority chair", "Its director": a role has a common noun; "Later" is not one.
    if not any(w[:1].islower() for w in found.split()[1:] + found.split()[:1] if w != w.upper()):
        return None
    return found or None


def _only_attribution(between: str) -> bool:
    """`," she said. ` or `," said Tomas Reyes, head of the union, ` and nothing more."""
    if len(between) > 120:
        return False
    for pattern in (_AFTER_NAME_SAID, _AFTER_SAID_NAME, _AFTER_ROLE_NAME_SAID):
        match = pattern.match(between)
        if match:
            rest = between[match.end() :]
            # What may follow: the rest of a role, an audience ("told reporters"), a stop.
            return not re.search(r"[.!?]\s+\S", rest) and len(rest) < 80
    return False


def _join_split(quotes: list[Quote], paragraphs: Sequence[str]) -> None:
    """`"First half," she said. "Second half."`: one quote, one speaker."""
    i = 0
    while i + 1 < len(quotes):
        first, second = quotes[i], quotes[i + 1]
        between = paragraphs[first.paragraph][first._end + 1 : second._start - 1]
        same = first.paragraph == second.paragraph
        if (
            same
            and first.speaker
            and second.speaker in (None, first.speaker)
            and not first.partial
            and _only_attribution(between)
        ):
            first.text = f"{first.text} {second.text}"
            first._end = second._end
            quotes.pop(i + 1)
            continue
        i += 1


def _carry_over(quotes: list[Quote], paragraphs: Sequence[str], people: _People) -> None:
    """A quote that is its paragraph, with no speaker: the speaker of the paragraph before,
    or the last person that paragraph names."""
    last: dict[int, Quote] = {}
    for quote in quotes:
        if quote.speaker:
            last[quote.paragraph] = quote
            continue
        if quote.partial or quote.pattern in ("unnamed", "unresolved"):
            continue
        own = paragraphs[quote.paragraph].strip().strip(OPEN + CLOSE).strip()
        before = paragraphs[quote.paragraph][: max(0, quote._start - 1)].rstrip()
        # A quote standing alone: its paragraph, or a sentence of its own after others.
        if len(quote.text) < 0.8 * len(own) and not (
            before.endswith((".", "!", "?")) or not before
        ):
            continue
        previous = last.get(quote.paragraph - 1)
        named_here = people.latest(quote.paragraph, quote._start, None)
        here = named_here is not None and any(
            number == quote.paragraph and speaker is named_here
            for number, _, speaker in people.mentions
        )
        if here:
            # `Dr Sato said the team would publish. "Open data is how we …"`
            assert named_here is not None
            quote.speaker, quote.speaker_key = named_here.name, named_here.key
            quote.speaker_kind, quote.pattern = named_here.kind, "named before, same paragraph"
        elif previous is not None:
            quote.speaker, quote.speaker_key = previous.speaker, previous.speaker_key
            quote.speaker_kind, quote.role = previous.speaker_kind, previous.role
            quote.pattern = "the paragraph before"
        else:
            speaker = people.latest(quote.paragraph, 0, None)
            if speaker is not None:
                quote.speaker, quote.speaker_key = speaker.name, speaker.key
                quote.speaker_kind, quote.pattern = speaker.kind, "named before"
        if quote.speaker:
            last[quote.paragraph] = quote
