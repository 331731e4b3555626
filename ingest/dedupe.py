"""Exact and near-duplicate detection over story text. Pure: callers bring the stored stories.

Exact: the same canonical URL, GUID or normalised body. Near: MinHash over five-word shingles,
with LSH so that each new story is compared only with likely matches.
"""

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 5
# Two versions of one agency story (retitled, a paragraph added) score ~0.6-0.9 Jaccard on
# five-word shingles; two different stories on one topic score well under 0.2.
NEAR_THRESHOLD = 0.5
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(words(text)).encode()).hexdigest()


def minhash(text: str) -> MinHash:
    tokens = words(text)
    shingles = {
        " ".join(tokens[i : i + SHINGLE_WORDS])
        for i in range(max(1, len(tokens) - SHINGLE_WORDS + 1))
    }
    signature = MinHash(num_perm=NUM_PERM)
    signature.update_batch([s.encode() for s in shingles])
    return signature


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


@dataclass
class Match:
    key: str
    similarity: float
    exact: bool


class DuplicateIndex:
    """Stories seen so far (stored ones and earlier inputs of a batch), keyed by a label."""

    def __init__(self, threshold: float = NEAR_THRESHOLD) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, MinHash] = {}
        self._exact: dict[str, str] = {}

    def add(self, key: str, prints: Prints, *, urls: tuple[str | None, ...] = ()) -> None:
        if key not in self._signatures:
            self.add_signature(key, prints.signature, prints.digest, urls=urls)

    def add_signature(
        self, key: str, signature: MinHash, digest: str, *, urls: tuple[str | None, ...] = ()
    ) -> None:
        if key in self._signatures:
            return
        self._signatures[key] = signature
        self._lsh.insert(key, signature)
        self._exact.setdefault(f"hash:{digest}", key)
        for url in urls:
            if url:
                self._exact.setdefault(f"url:{url}", key)

    def find(self, prints: Prints, *, urls: tuple[str | None, ...] = ()) -> Match | None:
        for url in urls:
            if url and f"url:{url}" in self._exact:
                return Match(self._exact[f"url:{url}"], 1.0, exact=True)
        if prints.empty:
            return None
        exact = self._exact.get(f"hash:{prints.digest}")
        if exact is not None:
            return Match(exact, 1.0, exact=True)
        signature = prints.signature
        scored = [(signature.jaccard(self._signatures[k]), k) for k in self._lsh.query(signature)]
        # LSH candidates are only likely matches; keep those whose estimate clears the bar.
        scored = [(similarity, k) for similarity, k in scored if similarity >= self.threshold]
        if not scored:
            return None
        similarity, key = max(scored)
        return Match(key, round(similarity, 3), exact=False)
