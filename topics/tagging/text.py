"""Matching keys for names: accents, case and punctuation folded, titles and possessives cut."""

import re
import unicodedata

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
    coach manager striker midfielder goalkeeper star singer actor actress rapper
    """.split()  # noqa: SIM905 -- a word list reads better as prose than as 100 quoted strings
)
# Titles that only ever come before a person's name.
PERSON_TITLES = frozenset(
    """
    mr mrs ms miss mx dr sir dame lord lady president senator sen rep governor mayor
    king queen prince princess pope sheikh general gen colonel judge
    """.split()  # noqa: SIM905 -- as TITLE_WORDS
)
_NOT_NAME = re.compile(r"^[\W\d_]+$")


def fold(text: str) -> str:
    """The matching form: no accents, case-folded, one kind of apostrophe, single spaces."""
    text = text.translate(_APOSTROPHES)
    if not text.isascii():
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    return " ".join(text.casefold().split())


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold` one character at a time (no whitespace collapsing) and, for every folded
    character, the index of the original character it came from, so matches found in the
    folded text can be read back from the original."""
    text = text.translate(_APOSTROPHES)
    if text.isascii():
        return text.lower(), list(range(len(text)))
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        folded = "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        ).casefold()
        out.append(folded)
        where.extend([i] * len(folded))
    return "".join(out), where


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
    name = strip_possessive(" ".join(name.split()).strip(" \"'.,;:!?()[]-"))
    words = name.split()
    drop = TITLE_WORDS | {"the"} if person else {"the"}
    while len(words) > 1 and fold(words[0]).rstrip(".") in drop:
        words.pop(0)
    return " ".join(words).strip(" \"'.,;:!?()[]-")


def is_acronym(name: str) -> bool:
    letters = name.replace(".", "").replace("&", "")
    return 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()


def initials(name: str) -> str:
    """ "World Health Organization" → "WHO"; small joining words are skipped."""
    return "".join(w[0] for w in name.split() if w[0].isupper()).upper()


def is_noise_word(name: str) -> bool:
    return bool(_NOT_NAME.match(name))
