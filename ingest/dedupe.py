"""Exact and near-duplicate detection over story text. Pure: callers bring the stored stories.

Exact: the same canonical URL, GUID or normalised body. Near: MinHash over five-word shingles,
with LSH so that each new story is compared only with likely matches. Two texts are one story
when their shingles mostly agree (Jaccard), or when nearly all of the shorter one's shingles
are in the longer (an edited copy: a paragraph dropped, a syndication line added).
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 5
# Two versions of one agency story (retitled, a paragraph added) score ~0.6-0.9 Jaccard on
# five-word shingles; two different stories on one topic score well under 0.2.
NEAR_THRESHOLD = 0.5
# An edited copy keeps much of the shorter text inside the longer: |A∩B| / min(|A|, |B|).
# On real news (the SEL dev set, bench/dedupe.py) copies with a paragraph dropped, a sentence
# reworded and a syndication line added keep 0.45 or more; different stories, even on one
# event, share at most 0.18.
CONTAINED_THRESHOLD = 0.4
# ... and at least this many shingles: a short quote two stories share is not a copy.
CONTAINED_MIN_SHARED = 25
# Without the stored text (an old fingerprint), containment is estimated: a higher bar.
CONTAINED_ESTIMATED_THRESHOLD = 0.7
CONTAINED_MIN_SHINGLES = 40
# LSH finds the candidates, which are then measured exactly; such copies sit near 0.17 Jaccard.
CANDIDATE_THRESHOLD = 0.15
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(words(text)).encode()).hexdigest()


def shingles(text: str) -> set[str]:
    tokens = words(text)
    return {
        " ".join(tokens[i : i + SHINGLE_WORDS])
        for i in range(max(1, len(tokens) - SHINGLE_WORDS + 1))
    }


def minhash(text: str) -> MinHash:
    signature = MinHash(num_perm=NUM_PERM)
    signature.update_batch([s.encode() for s in shingles(text)])
    return signature


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """The share of the shorter text's shingles found in the longer, from the Jaccard estimate
    and the two sizes (|A∩B| = J(|A|+|B|)/(1+J)); 0 when the shorter is too short to tell."""
    smaller = min(size_a, size_b)
    if smaller < CONTAINED_MIN_SHINGLES:
        return 0.0
    return min(1.0, jaccard / (1 + jaccard) * (size_a + size_b) / smaller)


def to_bytes(signature: MinHash) -> bytes:
    return bytes(signature.hashvalues.astype("<u4").tobytes())


def from_bytes(data: bytes) -> MinHash:
    # Stored signatures come from this module's own MinHash, whose default scheme is affine32.
    values = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    return MinHash(num_perm=NUM_PERM, hashvalues=values, scheme="affine32")


class Prints:
    """A text's content hash and MinHash, each computed once and only when first needed."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def empty(self) -> bool:
        return not words(self.text)

    @cached_property
    def digest(self) -> str:
        return content_hash(self.text)

    @cached_property
    def signature(self) -> MinHash:
        return minhash(self.text)

    @cached_property
    def shingle_set(self) -> frozenset[str]:
        return frozenset(shingles(self.text))

    @cached_property
    def size(self) -> int:
        return len(self.shingle_set)


@dataclass
class Match:
    key: str
    similarity: float
    exact: bool


class DuplicateIndex:
    """Stories seen so far (stored ones and earlier inputs of a batch), keyed by a label."""

    def __init__(
        self,
        threshold: float = NEAR_THRESHOLD,
        contained: float = CONTAINED_THRESHOLD,
        texts: Callable[[str], str | None] | None = None,
    ) -> None:
        """`texts` gives a stored entry's text by key, so that a likely match is measured on
        its exact shingles rather than on the MinHash estimate."""
        self.threshold, self.contained, self._texts = threshold, contained, texts
        self._sets: dict[str, frozenset[str]] = {}
        self._lsh = MinHashLSH(threshold=min(threshold, CANDIDATE_THRESHOLD), num_perm=NUM_PERM)
        self._signatures: dict[str, MinHash] = {}
        self._sizes: dict[str, int] = {}
        self._exact: dict[str, str] = {}
        # A duplicate remembered for later inputs stands for the story it repeats.
        self._original: dict[str, str] = {}

    def add(
        self,
        key: str,
        prints: Prints,
        *,
        urls: tuple[str | None, ...] = (),
        original: str | None = None,
    ) -> None:
        if key not in self._signatures:
            self.add_signature(key, prints.signature, prints.digest, urls=urls, size=prints.size)
            self._sets[key] = prints.shingle_set
        if original is not None and original != key:
            self._original[key] = self._original.get(original, original)

    def add_signature(
        self,
        key: str,
        signature: MinHash,
        digest: str,
        *,
        urls: tuple[str | None, ...] = (),
        size: int = 0,
    ) -> None:
        if key in self._signatures:
            return
        self._signatures[key] = signature
        # Fingerprints stored before sizes were kept: MinHash's own estimate of the set size.
        self._sizes[key] = size or max(1, round(signature.count()))
        self._lsh.insert(key, signature)
        self._exact.setdefault(f"hash:{digest}", key)
        for url in urls:
            if url:
                self._exact.setdefault(f"url:{url}", key)

    def find(self, prints: Prints, *, urls: tuple[str | None, ...] = ()) -> Match | None:
        match = self._find(prints, urls)
        if match is not None and match.key in self._original:
            match.key = self._original[match.key]  # a copy of a copy names the original
        return match

    def _find(self, prints: Prints, urls: tuple[str | None, ...]) -> Match | None:
        for url in urls:
            if url and f"url:{url}" in self._exact:
                return Match(self._exact[f"url:{url}"], 1.0, exact=True)
        if prints.empty:
            return None
        exact = self._exact.get(f"hash:{prints.digest}")
        if exact is not None:
            return Match(exact, 1.0, exact=True)
        scored = []
        # LSH candidates are only likely matches; keep those that clear a bar.
        for key in self._lsh.query(prints.signature):
            score = self._score(prints, key)
            if score is not None:
                scored.append((score, key))
        if not scored:
            return None
        score, key = max(scored)
        return Match(key, round(score, 3), exact=False)

    def _score(self, prints: Prints, key: str) -> float | None:
        """The similarity of a match (Jaccard, or the shorter's containment in the longer),
        or None when the two are different stories."""
        theirs = self._shingles(key)
        if theirs is None:
            jaccard = prints.signature.jaccard(self._signatures[key])
            contained = containment(jaccard, prints.size, self._sizes[key])
            bar = max(self.contained, CONTAINED_ESTIMATED_THRESHOLD)
            if jaccard >= self.threshold or contained >= bar:
                return max(jaccard, contained)
            return None
        ours = prints.shingle_set
        shared = len(ours & theirs)
        if not shared:
            return None
        jaccard = shared / len(ours | theirs)
        contained = shared / min(len(ours), len(theirs))
        if jaccard >= self.threshold or (
            contained >= self.contained and shared >= CONTAINED_MIN_SHARED
        ):
            return max(jaccard, contained)
        return None

    def _shingles(self, key: str) -> frozenset[str] | None:
        if key not in self._sets and self._texts is not None:
            text = self._texts(key)
            if text is not None:
                self._sets[key] = frozenset(shingles(text))
        return self._sets.get(key)
