"""Opinion groups, as Pol.is finds them for online deliberation, on the stances: who disagrees
with whom, and what everyone shares. No telegram, no SQL; numpy and scikit-learn, imported by the
export and `python -m bot stats --groups` only (both run in a child process of the bot).

The method, in words a methods section can cite:

1. The matrix: one row per respondent who submitted the round, one column per conclusion, the
   stance 1–5; a skipped conclusion counts as that conclusion's mean stance.
2. Principal components (PCA, the columns centred) project the rows onto the first two
   components, as Pol.is does; their shares of the variance are reported.
3. k-means on those two coordinates, for k = 2, 3, 4 and 5 (`n_init` = 10, a fixed
   `random_state`), and the k with the highest mean silhouette is kept (the silhouette computed
   on a fixed random sample of at most 2,000 respondents for large rounds). Above 20,000
   respondents the centres are found on a fixed random sample of 20,000 and everyone is
   assigned to the nearest. The same data gives the same groups.
4. No groups are formed below 20 respondents, and a group of fewer than 5 people is not shown
   on its own (its people count in no group's figures).
5. For each group: its size, its mean stance per conclusion, the conclusions on which its mean
   differs most from everyone else's (by 0.5 points or more, at most three), and its profile
   mix. A conclusion is a consensus conclusion when every group shown has a majority on the
   same side: more than half of its stances agree (4–5), or more than half disagree (1–2).
"""

from __future__ import annotations

import importlib
import string
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_RESPONDENTS = 20  # no groups below this
MIN_SHOWN = 5  # a group smaller than this is not shown on its own
KS = (2, 3, 4, 5)
SEED = 20_240_415  # the Creotalents workshop's date: any fixed number gives the same groups
RESTARTS = 10  # k-means' n_init
SILHOUETTE_SAMPLE = 2_000
FIT_SAMPLE = 20_000  # above this, k-means' centres are found on a fixed sample of this size
WORKING_MEMORY_MB = 64  # scikit-learn's chunks of pairwise distances (its default: 1 GB)
DISTINCT_BY = 0.5  # points on the five-point scale
DISTINCT_MOST = 3


@dataclass(frozen=True, slots=True)
class Group:
    """One opinion group."""

    name: str  # A, B, C ... by size
    members: tuple[int, ...]  # the row indices of its respondents
    means: tuple[float, ...]  # mean stance per conclusion (skips as the conclusion's mean)
    distinct: tuple[int, ...]  # conclusion indices on which it differs most, largest first

    @property
    def size(self) -> int:
        """How many people it holds."""
        return len(self.members)


@dataclass(frozen=True, slots=True)
class Groups:
    """The groups of one round's stances."""

    respondents: int  # rows of the matrix
    k: int  # groups found, shown or not
    silhouette: float
    explained: tuple[float, float]  # share of the variance on the first two components
    groups: tuple[Group, ...]  # those shown (MIN_SHOWN or more), the largest first
    hidden: int  # people in groups too small to show
    consensus: tuple[int, ...]  # conclusion indices every shown group's majority shares a side of
    points: np.ndarray  # (respondents, 2): each on the first two components
    labels: np.ndarray  # (respondents,): the group name of each, "" when hidden


def prepare() -> None:
    """Import what find_groups needs (about a second): a helper process can do it while
    it waits for its work."""
    for name in ("sklearn.cluster", "sklearn.decomposition", "sklearn.metrics"):
        importlib.import_module(name)


def find_groups(stances: np.ndarray) -> Groups | None:
    """The opinion groups of `stances` (respondents × conclusions, 1–5, NaN for a skip); None
    below MIN_RESPONDENTS or when the stances do not vary enough to split."""
    # Heavy (scipy underneath): imported only where groups are made. No type stubs.
    from sklearn import config_context  # type: ignore[import-untyped]  # noqa: PLC0415
    from sklearn.cluster import KMeans  # type: ignore[import-untyped]  # noqa: PLC0415
    from sklearn.decomposition import PCA  # type: ignore[import-untyped]  # noqa: PLC0415
    from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]  # noqa: PLC0415

    rows, columns = stances.shape
    if rows < MIN_RESPONDENTS or columns == 0:
        return None
    means = np.nanmean(np.where(np.isnan(stances).all(axis=0), 3.0, stances), axis=0)
    filled = np.where(np.isnan(stances), means, stances)
    components = min(2, columns)
    pca = PCA(n_components=components, random_state=SEED)
    points = pca.fit_transform(filled)
    if components < 2:
        points = np.column_stack([points, np.zeros(rows)])
    explained = (*(float(v) for v in pca.explained_variance_ratio_), 0.0)
    distinct_points = len(np.unique(points.round(9), axis=0))
    fitted = points
    if rows > FIT_SAMPLE:  # the same sample every time: a fixed seed
        fitted = points[np.random.default_rng(SEED).choice(rows, FIT_SAMPLE, replace=False)]
    best: tuple[float, int, np.ndarray] | None = None
    for k in KS:
        if k >= distinct_points:
            break
        model = KMeans(n_clusters=k, n_init=RESTARTS, random_state=SEED).fit(fitted)
        labels = model.predict(points) if len(fitted) < rows else model.labels_
        if len(set(labels.tolist())) < 2:
            continue
        sample = SILHOUETTE_SAMPLE if rows > SILHOUETTE_SAMPLE else None
        with config_context(working_memory=WORKING_MEMORY_MB):
            score = silhouette_score(points, labels, sample_size=sample, random_state=SEED)
        score = float(score)
        if best is None or score > best[0]:
            best = (score, k, labels)
    if best is None:
        return None
    score, k, labels = best
    return _describe(
        stances, filled, points, labels, k=k, score=score, explained=(explained[0], explained[1])
    )


def _describe(
    stances: np.ndarray, filled: np.ndarray, points: np.ndarray, labels: np.ndarray, *, k: int,
    score: float, explained: tuple[float, float],
) -> Groups:  # fmt: skip
    rows = len(stances)
    clusters = sorted(
        (np.flatnonzero(labels == label) for label in range(k)), key=lambda m: (-len(m), m[0])
    )
    shown = [members for members in clusters if len(members) >= MIN_SHOWN]
    names = np.full(rows, "", dtype=object)
    groups = []
    for name, members in zip(string.ascii_uppercase, shown, strict=False):
        inside = filled[members].mean(axis=0)
        rest = np.delete(filled, members, axis=0)
        outside = rest.mean(axis=0) if len(rest) else inside
        gaps = np.abs(inside - outside)
        order = [int(i) for i in np.argsort(-gaps, kind="stable") if gaps[i] >= DISTINCT_BY]
        groups.append(
            Group(
                name=name,
                members=tuple(int(i) for i in members),
                means=tuple(float(v) for v in inside),
                distinct=tuple(order[:DISTINCT_MOST]),
            )
        )
        names[members] = name
    return Groups(
        respondents=rows,
        k=k,
        silhouette=score,
        explained=explained,
        groups=tuple(groups),
        hidden=rows - sum(g.size for g in groups),
        consensus=consensus(stances, [np.array(g.members) for g in groups]),
        points=points,
        labels=names,
    )


def consensus(stances: np.ndarray, groups: Sequence[np.ndarray]) -> tuple[int, ...]:
    """The conclusions on which every group has a majority on the same side (more than half of
    its stances 4–5, or more than half 1–2; skips not counted); none without two groups."""
    if len(groups) < 2:
        return ()
    shared = []
    for column in range(stances.shape[1]):
        sides: set[str | None] = set()
        for members in groups:
            given = stances[members, column]
            given = given[~np.isnan(given)]
            if not len(given):
                sides.add(None)
                continue
            agree, disagree = (given >= 4).mean(), (given <= 2).mean()
            sides.add("agree" if agree > 0.5 else "disagree" if disagree > 0.5 else None)
        if len(sides) == 1 and None not in sides:
            shared.append(column)
    return tuple(shared)
