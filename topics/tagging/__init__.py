"""The tagging pipeline: story text in, ranked topic candidates out. Pure: no ORM, no settings.

`Tagger` is built from registry entries (`Entry`) and an optional spaCy pipeline; `topics.actions`
feeds it from the database and writes the result.
"""

from topics.tagging.pipeline import Article, Candidate, Entry, Tagger

__all__ = ["Article", "Candidate", "Entry", "Tagger"]
