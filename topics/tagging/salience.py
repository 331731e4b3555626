"""How central a topic is to a story: two logistic models over a few features news editors
would name (headline, lead, the lead's subject, how often and how widely it is mentioned, its
kind). `ranking` orders a story's topics (how likely a name is one the story is really about);
`primary` picks the one topic the story is chiefly about.

The coefficients are fitted by `manage.py train_salience` on the SEL dev set and checked in
(`salience.json` beside this file); fitting is deterministic (Newton's method from zero), so
the same data gives the same file. Without the file the tagger ranks by its rule score.
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("salience.json")

# The order is the file's: a feature added later goes at the end.
FEATURES = (
    "rule",  # the rule score (zones, spread, kind) over the story's best
    "headline",  # named in the headline
    "headline_first",  # the first name in the headline, not a setting ("in X")
    "headline_setting",  # named in the headline only as a setting: "in X", "at X"
    "lead",  # named in the standfirst or first paragraph
    "lead_subject",  # the first name of the lead sentence, not a setting or dateline
    "mentions",  # log mentions over the story's most mentioned
    "spread",  # share of paragraphs naming it
    "first_position",  # 1 at the very start of the story, 0 at its end
    "person",
    "organisation",
    "place",
    "registry",  # a topic the registry knows
    "speaker",  # quoted or said something
    "one_word",  # a single word that is no acronym: a surname, often a fragment
    "demonym",  # share of its mentions that are a demonym ("Kenyan" for Kenya)
    "most_mentioned",  # no topic of the story is mentioned more often
    "headline_position",  # how early in the headline it first comes (0: not there)
    "headline_demonym",  # named in the headline only by a demonym ("Turkish airliner")
)


@dataclass
class SalienceModel:
    weights: list[float]
    bias: float
    features: tuple[str, ...] = FEATURES

    def linear(self, values: dict[str, float]) -> float:
        """The model's log-odds: what a choice among candidates compares (never saturates)."""
        return self.bias + sum(
            w * values.get(f, 0.0) for f, w in zip(self.features, self.weights, strict=True)
        )

    def score(self, values: dict[str, float]) -> float:
        z = self.linear(values)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def as_dict(self) -> dict[str, object]:
        return {
            "weights": dict(zip(self.features, (round(w, 6) for w in self.weights), strict=True)),
            "bias": round(self.bias, 6),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "SalienceModel":
        weights = data["weights"]
        assert isinstance(weights, dict)
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown salience features {sorted(unknown)}")
        names = tuple(weights)
        return cls([float(weights[n]) for n in names], float(str(data["bias"])), names)


@dataclass
class Salience:
    ranking: SalienceModel
    primary: SalienceModel

    def to_json(self, **about: object) -> str:
        data = {"ranking": self.ranking.as_dict(), "primary": self.primary.as_dict(), **about}
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "Salience | None":
        if not path.is_file():
            return None
        data = json.loads(path.read_text("utf-8"))
        return cls(
            SalienceModel.from_dict(data["ranking"]), SalienceModel.from_dict(data["primary"])
        )


def fit(
    rows: Sequence[dict[str, float]],
    targets: Sequence[float],
    *,
    l2: float = 1.0,
    iterations: int = 50,
) -> SalienceModel:
    """Logistic regression with an L2 penalty (the bias unpenalised), by Newton's method;
    targets may be soft (a graded salience in 0..1)."""
    import numpy as np

    x = np.array([[row.get(f, 0.0) for f in FEATURES] for row in rows], dtype=float)
    x = np.hstack([x, np.ones((len(rows), 1))])
    y = np.array(targets, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return SalienceModel([float(v) for v in w[:-1]], float(w[-1]))


def fit_choice(
    stories: Sequence[Sequence[dict[str, float]]],
    chosen: Sequence[Sequence[float]],
    *,
    l2: float = 1.0,
    iterations: int = 50,
) -> SalienceModel:
    """A conditional logit (one choice among each story's candidates), by Newton's method:
    P(candidate i is the primary) = softmax(w·x) over its story's candidates. It learns what
    makes one topic beat the others of the same story, which an independent logistic model
    of "is it the primary" does not. `chosen` weighs each candidate (summing to 1 per story);
    stories without a chosen candidate teach nothing and are skipped. No bias: it cancels."""
    import numpy as np

    data = [
        (np.array([[row.get(f, 0.0) for f in FEATURES] for row in rows], dtype=float),
         np.array(weights, dtype=float) / sum(weights))
        for rows, weights in zip(stories, chosen, strict=True)
        if rows and sum(weights) > 0
    ]  # fmt: skip

    def loss(w: "np.ndarray") -> float:
        total = 0.5 * l2 * float(w @ w)
        for x, t in data:
            z = x @ w
            top = z.max()
            total -= float(t @ (z - top - np.log(np.exp(z - top).sum())))
        return total

    w = np.zeros(len(FEATURES))
    for _ in range(iterations):
        gradient = l2 * w
        hessian = l2 * np.eye(len(w))
        for x, t in data:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            gradient = gradient + x.T @ (p - t)
            hessian = hessian + x.T @ (np.diag(p) - np.outer(p, p)) @ x
        step = np.linalg.solve(hessian, gradient)
        # Newton's full step may overshoot where the data nearly separate: halve it until the
        # loss falls (it always does for a small enough step: the loss is convex).
        before, scale = loss(w), 1.0
        while scale > 1e-6 and loss(w - scale * step) > before:
            scale /= 2
        w -= scale * step
        if float(np.abs(scale * step).max()) < 1e-10:
            break
    return SalienceModel([float(v) for v in w], 0.0)
