"""Matching keys for names: accents, case and punctuation folded, titles and possessives cut."""

import re
import unicodedata
from array import array
from collections.abc import Sequence

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "‐": "-", "–": "-"})

# Words that come before a name but are not part of it. Multi-word titles are listed by their
# words: "Prime Minister" is "prime" then "minister", each stripped in turn.
TITLE_WORDS = frozenset(
    """
    mr mrs ms miss mx dr prof professor sir dame lord lady baroness baron rev reverend father
    president vice prime minister chancellor secretary senator sen rep representative congressman
    congresswoman governor gov mayor king queen prince princess emperor pope cardinal archbishop
    bishop sheikh emir ayatollah general gen colonel col captain capt major lieutenant lt admiral
    sergeant sgt commander chief judge justice attorney former acting deputy foreign finance
    defence defense interior home health education justice trade economy energy environment
    culture transport labour labor opposition leader chairman chairwoman chair ceo founder
    coach manager striker midfielder goalkeeper star singer actor actress rapper pm corporal
    cpl brigadier
    """.split()  # noqa: SIM905 -- a word list reads better as prose than as 100 quoted strings
)
# Titles that only ever come before a person's name.
PERSON_TITLES = frozenset(
    """
    mr mrs ms miss mx dr sir dame lord lady president senator sen rep governor mayor
    king queen prince princess pope sheikh general gen colonel judge brigadier
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)
# The first word of a two-word rank ("Lance Corporal", "Staff Sergeant", "Rear Admiral"): a
# title only before one ("Lance Armstrong" is a name).
_RANK_FIRST = frozenset(
    """
    lance staff master petty warrant first second flight wing squadron rear field air
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)
_RANKS = frozenset(
    """
    corporal cpl sergeant sgt lieutenant officer admiral marshal commander leader bombardier
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)


def rank_words(words: Sequence[str]) -> int:
    """How many of `words` a two-word military rank takes at their start: 2 for "Lance
    Corporal Roel Briones" (and for "Rear Admiral" alone), else 0."""
    if len(words) > 1 and fold(words[0]) in _RANK_FIRST and fold(words[1]).rstrip(".") in _RANKS:
        return 2
    return 0


_NOT_NAME = re.compile(r"^[\W\d_]+$")


def fold(text: str) -> str:
    """The matching form: no accents, case-folded, one kind of apostrophe, single spaces."""
    text = text.translate(_APOSTROPHES)
    if not text.isascii():
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    return " ".join(text.casefold().split())


_FOLDED: dict[str, str] = {}
_ASCII_LOWER = {code: chr(code + 32) for code in range(ord("A"), ord("Z") + 1)}


def ascii_lower(text: str) -> str:
    """Lower case for A-Z only: every index still points at the same character."""
    return text.translate(_ASCII_LOWER)


def _fold_char(ch: str) -> str:
    folded = _FOLDED.get(ch)
    if folded is None:
        folded = "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        ).casefold()
        _FOLDED[ch] = folded
    return folded


def fold_with_offsets(text: str) -> tuple[str, Sequence[int]]:
    """`fold` one character at a time (no whitespace collapsing) and, for every folded
    character, the index of the original character it came from, so matches found in the
    folded text can be read back from the original.

    Linear and mostly in C: each distinct character is folded once, the text translated in
    one call; the offsets are a `range` unless some character folds to more or fewer than one
    ("ß" → "ss", a lone combining accent → ""), and then only those places are walked.
    """
    text = text.translate(_APOSTROPHES)
    if text.isascii():
        return text.lower(), range(len(text))
    table: dict[int, str] = {ord(ch): _fold_char(ch) for ch in set(text) if not ch.isascii()}
    uneven = [chr(code) for code, to in table.items() if len(to) != 1]
    table.update(_ASCII_LOWER)
    folded = text.translate(table)
    if not uneven:
        return folded, range(len(text))
    where = array("q")
    previous = 0
    for match in re.finditer("|".join(map(re.escape, uneven)), text):
        at = match.start()
        where.extend(range(previous, at))
        where.extend([at] * len(table[ord(match.group())]))
        previous = at + 1
    where.extend(range(previous, len(text)))
    return folded, where


def strip_possessive(name: str) -> str:
    name = name.translate(_APOSTROPHES)
    if name.endswith("'s") or name.endswith("'S"):
        return name[:-2]
    if name.endswith("s'"):
        return name[:-1]
    return name


def clean_name(name: str, *, person: bool = False) -> str:
    """The name a mention stands for: a leading "the", possessives, stray punctuation and,
    for people, titles gone ("Home Office" keeps its "Home"); spelling is kept for display."""
    name = strip_possessive(_strip_edges(" ".join(_ENTITY.sub(" ", name).split())))
    words = name.split()
    if person:
        # "Secretary of State for Defence Des Browne": the model's span starts inside the
        # title; the name is what follows its last joining word.
        joins = [i for i, w in enumerate(words) if w in ("of", "for")]
        if joins and joins[-1] < len(words) - 1:
            words = words[joins[-1] + 1 :]
    if words:
        # "VOA NewsThe incumbent", "James JeffreyWhite House": a caption glued to the text
        glued = _GLUED.match(words[-1]) or (person and _GLUED_NAME.match(words[-1]))
        if glued and glued.group(1) not in _CAMEL_PREFIXES:
            words[-1] = glued.group(1)
    # "Oakland Press of", "Associated Press the", "Little Rock school marks": the model's
    # span ran into the next words
    while len(words) > 1 and (
        words[-1] in _TRAILING
        or _AMOUNT_OR_SCORE.match(words[-1])  # "Tynemouth City 2-1", "Orbita €1.8bn"
        or (words[-1].isalpha() and words[-1].islower()
            and words[-1] not in _ORG_WORDS and words[-1] not in _PLACE_WORDS
            and words[-1] not in _NAME_TAIL)
    ):  # fmt: skip
        words.pop()  # not "Republican party", "Yangtze river"
    drop = TITLE_WORDS | {"the"} if person else {"the"}
    if person:
        if len(words) > 2:
            words = words[rank_words(words) :]
        if len(words) > 2 and words[0] == "All":
            # "Archbishop of Athens and All Greece Christodoulos": the model's span starts in
            # the see's name
            words = words[2:]
    while len(words) > 1 and (
        fold(words[0]).rstrip(".") in drop
        or company_role(words)
        or (person and fold(words[0]).rstrip("s") in drop)
        # "Teenager Malia Osei" in a headline: a role the model took into the name
        or (person and len(words) > 2 and ROLE_KINDS.get(fold(words[0])) == "person")
    ):
        words.pop(0)
    return _strip_edges(" ".join(words))


def company_role(words: list[str]) -> bool:
    """ "Carmaker Vonmark", "Regulator Ofcom": a company's role a headline put before its
    name; not "Miner County", "Lender Processing Services"."""
    return len(words) == 2 and fold(words[0]) in _MAKERS and not kind_from_words(words[1])


_MAKERS = frozenset(
    {"carmaker", "automaker", "chipmaker", "drugmaker", "planemaker", "retailer", "insurer",
     "broadcaster", "regulator", "watchdog"}
)  # fmt: skip
# The lower-case words news writes after a name as part of it: "the Niger delta", "the Iraq
# war", "the Persian gulf", "the Paris agreement".
_NAME_TAIL = frozenset(
    {"delta", "basin", "coast", "plateau", "estuary", "reef", "gorge", "state", "gulf", "strait",
     "channel", "canal", "area", "war", "wars", "crisis", "agreement", "accord", "accords"}
)  # fmt: skip
_GLUED = re.compile(r"([A-Z][\w'-]*[a-z])(?:The|This|That|These|They|She|He|But|When|After)$")
_GLUED_NAME = re.compile(r"([A-Z][a-z]{3,})[A-Z][a-z]+$")
_CAMEL_PREFIXES = frozenset({"Fitz", "Vande", "Vander", "Van", "Della"})
_AMOUNT_OR_SCORE = re.compile(
    r"(?:[€$£¥]\d[\d.,]*(?:bn|m|k|tn)?|\d[\d.,]*(?:bn|m|tn|%)|\d+[-–]\d+)$"
)
_TRAILING = frozenset({"of", "to", "the", "and", "for", "in", "at", "on", "a", "an", "by", "with"})


def _strip_edges(name: str) -> str:
    """Stray punctuation off both ends; "Liverpool F.C." and "Washington D.C." keep their
    last dot."""
    stripped = name.strip(_EDGES)
    if _INITIALS_END.search(stripped + "."):
        return stripped + "."
    return stripped


# "&mdash;" left in scraped text, and the punctuation a span may carry at its edges.
_ENTITY = re.compile(r"&(?:[a-z]{2,8}|#\d{1,6});?", re.I)
_EDGES = " \"'.,;:!?()[]-—–"
_INITIALS_END = re.compile(r"\s(?:[A-Z]\.){2,}$")
# "US Senate", "U.S. Army", "UN Security Council": the short form of the country or body
# before a name is its full name, so both spellings are one topic.
_PREFIXES = {"us": "United States", "u.s.": "United States", "u.s": "United States",
             "un": "United Nations", "u.n.": "United Nations"}  # fmt: skip


def expand_prefix(name: str) -> str:
    first, _, rest = name.partition(" ")
    full = _PREFIXES.get(first.casefold())
    if full and first.replace(".", "").isupper() and rest[:1].isupper():
        return f"{full} {rest}"
    return name


def is_acronym(name: str) -> bool:
    """ "WHO", "U.S.", "P&O"; and "DoD", "MoD", "DfE", which keep the small letter of their
    "of" or "for" (not "PhD", "GmbH")."""
    letters = name.replace(".", "").replace("&", "")
    if not (2 <= len(letters) <= 6 and letters.isalpha()):
        return False
    small = [c for c in letters if c.islower()]
    return not small or (
        letters[0].isupper() and letters[-1].isupper()
        and 2 * len(small) < len(letters) and all(c in "of" for c in small)
    )  # fmt: skip


def initials(name: str, small: bool = False) -> str:
    """ "World Health Organization" → "WHO"; small joining words are skipped, or with `small`
    kept as they are written ("Ministry of Defence" → "MoD")."""
    if small:
        return "".join(w[0] for w in name.split() if w[0].isalpha())
    return "".join(w[0] for w in name.split() if w[0].isupper()).upper()


def is_noise_word(name: str) -> bool:
    return bool(_NOT_NAME.match(name))


# The words that say what a name is, whatever the model's label: "Tigris River", "Joe Gibbs
# Racing", "George Bush Intercontinental Airport". Matched on a name's last word (or first,
# for "River Wharfe", "Lake Turkana"); names of two words or more only.
_PLACE_WORDS = frozenset(
    """
    airport river bridge highway street road avenue square park lake mountain mountains island
    islands bay valley province county district region canyon creek beach harbour harbor
    station stadium palace castle cathedral prison hospital cosmodrome observatory centre center
    museum gallery hall tower wall strait sea ocean peninsula desert forest village city town
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)
_STORMS = frozenset({"hurricane", "typhoon", "cyclone", "tropical", "storm", "superstorm"})
_WEATHER = re.compile(r"\b(?:storms?|hurricanes?|typhoons?|cyclones?|landfall|winds)\b")
_BODY_FIRST = frozenset({"national", "international", "federal", "european", "world", "research"})
# What a body called "... Center" does: "Minor Planet Center", "Pew Research Center".
_WORK = frozenset(
    """
    research planet hurricane warning data cancer policy press information control operations
    command coordination monitoring prediction forecast disease studies documentation
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)
_PLACE_FIRST = frozenset(
    {"river", "lake", "mount", "mt", "mont", "monte", "loch", "port", "fort", "cape", "isle",
     "highway", "route", "interstate"}
)  # fmt: skip
# A prize, a cup, a law, a festival: followed as a theme, whatever the model's label.
_THING_WORDS = frozenset(
    {"prize", "prizes", "medal", "award", "awards", "trophy", "cup", "act", "bill", "treaty",
     "accord", "festival", "championship", "championships", "olympics", "paralympics", "games"}
)  # fmt: skip
_ORG_WORDS = frozenset(
    """
    party ministry university college school academy bank inc ltd llc plc corp corporation company
    co group holdings racing council committee commission association agency institute foundation
    army navy forces guard guards police patrol office department union church journal airlines
    airways network service services authority federation league club team squad brigade
    movement court parliament senate assembly congress board bureau trust fund society corps
    organisation organization institution industries motors systems technologies labs media
    magazine newspaper gazette tribune herald news fc f.c afc a.f.c construction logistics
    engineering pharmaceuticals partners ventures sons gmbh ag limited llp studios records
    productions pictures entertainment publishing shipping mining petroleum telecom
    telecommunications insurance bancorp tribunal
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)


_BODIES = frozenset(
    ("parliament", "congress", "senate", "police", "army", "navy", "government", "cabinet")
)


# What a story calls a name just before it ("the charity Comic Relief", "schoolgirl Malala
# Yousafzai", "the town of Moe") or in an apposition after it ("Yukos, a Russian oil company"):
# evidence of its kind, weighed beside the model's label (topics.tagging.pipeline).
ROLE_KINDS: dict[str, str] = {
    # A person's titles, less the words of a title that are no person ("former", "foreign",
    # "chief" before "executive"), and the roles news gives people before their names.
    **{
        word: "person"
        for word in (
            TITLE_WORDS
            - set(
                """
                acting attorney capt chair chief col culture defence defense deputy economy
                education energy environment father finance foreign former gen general health
                home interior justice labor labour leader lt major opposition prime sgt star
                trade transport vice
                """.split()  # noqa: SIM905 -- as TITLE_WORDS
            )
        )
        | set(
            """
            activist ambassador analyst anchor architect artist astronaut author billionaire
            blogger boxer brother businessman businesswoman chef cleric comedian commissioner
            composer cosmonaut councillor councilor cricketer cyclist dancer daughter defendant
            designer detective dictator diplomat director driver drummer economist engineer
            entrepreneur
            envoy footballer golfer granddaughter grandson guitarist gunman historian husband
            imam inspector journalist lawmaker lawyer legislator monk mother musician
            neurosurgeon newscaster novelist officer photographer pilot poet politician premier
            presenter priest prosecutor rabbi researcher schoolboy schoolgirl scientist sheriff
            sister soldier son spokesman spokesperson spokeswoman student surgeon suspect
            teenager tycoon warlord widow wife writer eyewitness witness bystander passenger
            survivor resident nurse midwife paramedic doctor dentist pharmacist physician
            psychiatrist psychologist teacher headteacher pupil farmer fisherman firefighter
            songwriter winger jockey swimmer sprinter skier climber mountaineer explorer
            influencer barrister solicitor magistrate plaintiff claimant prisoner inmate
            detainee campaigner protester trainer opener
            """.split()  # noqa: SIM905 -- as TITLE_WORDS
        )
    },
    **{
        word: "organisation"
        for word in """
        company firm charity party network broadcaster airline carrier bank lender insurer
        newspaper magazine agency club side team manufacturer maker retailer supermarket chain
        operator organisation organization union band label studio publisher brewer
        regulator watchdog militia faction conglomerate giant startup group movement coalition
        carmaker automaker chipmaker drugmaker planemaker
        """.split()  # noqa: SIM905 -- as TITLE_WORDS
    },
    **{
        word: "place"
        for word in """
        city town village province district county region island country capital suburb
        resort neighbourhood neighborhood municipality prefecture territory
        """.split()  # noqa: SIM905 -- as TITLE_WORDS
    },
}  # fmt: skip
# Roles that a company or a country may also play ("rival Airbus", "the owner of T-Mobile"):
# weaker evidence of a person.
WEAK_PERSON_ROLES = frozenset({"rival", "investor", "owner", "player", "partner", "producer"})


def place_first(name: str) -> bool:
    """ "Mount Carrow", "Loch Ailsa": a name whose first word says it is a place."""
    words = name.split()
    return len(words) >= 2 and fold(words[0]).rstrip(".") in _PLACE_FIRST


def kind_from_words(name: str) -> str | None:
    """ "place", "organisation" or "thing" (a prize, a law) when a name's own words say so;
    None when they do not."""
    words = [fold(w).strip(".,") for w in name.split()]
    if len(words) < 2:
        # "Parliament", "Congress", "Police": a body's word alone is that body.
        return "organisation" if words and words[0] in _BODIES else None
    if words[-1] in _ORG_WORDS:
        return "organisation"
    if words[-1] in ("center", "centre") and (words[0] in _BODY_FIRST or words[-2] in _WORK):
        # "National Hurricane Center", "Minor Planet Center" are bodies, "Rockefeller Center"
        # and "Sydney Entertainment Centre" places
        return "organisation"
    if words[-1] in _PLACE_WORDS or words[0] in _PLACE_FIRST:
        return "place"
    if words[-1] in _THING_WORDS:
        return "thing"  # "the Larkspur Prize", "the Clean Rivers Act"
    return None


def is_storm(name: str, text: str) -> bool:
    """ "Tropical Storm Edouard", "Hurricane Katrina" in a story that speaks of a storm: an
    event. Not "Hurricane Electric", a company, in a story with no weather."""
    words = name.split()
    return len(words) >= 2 and fold(words[0]) in _STORMS and bool(_WEATHER.search(text))
