"""Text as search compares it: case, accents and compatibility forms aside, so that "Zürich",
"ZURICH" and "zurich" are one word, "Ørsted" is "orsted" and "Kestrel™" is "kestreltm"."""

import unicodedata

# Letters that are not a base letter plus an accent, so decomposition leaves them as they are.
_LETTERS = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ħ": "h"}
)


def fold(text: str) -> str:
    # Decompose first: "™" becomes "TM", which casefold then lowers; decompose again for what
    # casefold produced, then drop the accents.
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_LETTERS)
