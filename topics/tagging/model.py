"""The spaCy pipeline, loaded once per process on first use, never at import."""

import functools
import logging
from typing import Any

log = logging.getLogger(__name__)

# Only the NER runs: it carries its own tok2vec, and the other components would double the
# time for entities we already get.
EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


def load_model(name: str) -> Any:
    """The named pipeline, or None (with a warning) when it is missing or `name` is empty, so
    tagging carries on with the gazetteer alone."""
    if not name:
        log.warning("tagging without a statistical model (TAGGING_MODEL is empty): gazetteer only")
        return None
    return _load(name)


@functools.cache
def _load(name: str) -> Any:
    try:
        import spacy

        return spacy.load(name, exclude=EXCLUDE)
    except (ImportError, OSError) as exc:
        log.warning("tagging with the gazetteer only: spaCy model %r not loaded (%s)", name, exc)
        return None
