"""How a round answered a conclusion, as a Delphi study reads it: n, median, IQR, the shares that
agree, are neutral and disagree, and whether that is consensus. No telegram, no SQL.

The feedback screen a returning respondent sees and the export's `rounds.csv` both take their
figures from `Shares`: what people are shown is what the team reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

AGREE = (4, 5)  # on the five-point scale: 1 = strongly disagree ... 5 = strongly agree
NEUTRAL = (3,)
DISAGREE = (1, 2)
CONSENSUS_SHARE = 0.70  # the usual Delphi threshold: 70 % on one side ...
CONSENSUS_IQR = 1.0  # ... with an interquartile range of one point or less


@dataclass(frozen=True, slots=True)
class Shares:
    """The stances one round gave one conclusion (skips not counted)."""

    counts: tuple[int, int, int, int, int]  # how many gave stance 1 ... 5

    @classmethod
    def of(cls, counts: Mapping[int, int]) -> Shares:
        """From {stance: how many}."""
        return cls(tuple(int(counts.get(stance, 0)) for stance in range(1, 6)))  # type: ignore[arg-type]

    @property
    def n(self) -> int:
        """How many gave a stance."""
        return sum(self.counts)

    def _share(self, stances: tuple[int, ...]) -> float:
        return sum(self.counts[s - 1] for s in stances) / self.n if self.n else 0.0

    @property
    def agree(self) -> float:
        """The share with stance 4 or 5."""
        return self._share(AGREE)

    @property
    def neutral(self) -> float:
        """The share with stance 3."""
        return self._share(NEUTRAL)

    @property
    def disagree(self) -> float:
        """The share with stance 1 or 2."""
        return self._share(DISAGREE)

    def quantile(self, q: float) -> float | None:
        """The `q` quantile of the stances, interpolated linearly between order statistics (as
        R's default type 7, numpy and pandas compute it); None without stances."""
        if not self.n:
            return None
        position = (self.n - 1) * q
        low = int(position)
        fraction = position - low
        below, above = self._ordered(low), self._ordered(min(low + 1, self.n - 1))
        return below + (above - below) * fraction

    def _ordered(self, index: int) -> int:
        """The stance at `index` (0-based) of the stances sorted."""
        seen = 0
        for stance, count in enumerate(self.counts, start=1):
            seen += count
            if index < seen:
                return stance
        raise IndexError(index)

    @property
    def median(self) -> float | None:
        """The median stance."""
        return self.quantile(0.5)

    @property
    def iqr(self) -> float | None:
        """The interquartile range: the third quartile less the first."""
        q1, q3 = self.quantile(0.25), self.quantile(0.75)
        return None if q1 is None or q3 is None else q3 - q1

    @property
    def consensus(self) -> bool:
        """70 % or more on one side, and an IQR of one point or less."""
        iqr = self.iqr
        return (
            iqr is not None
            and iqr <= CONSENSUS_IQR
            and max(self.agree, self.disagree) >= CONSENSUS_SHARE
        )

    def percentages(self) -> tuple[int, int, int]:
        """Agree, neutral and disagree in whole percent, adding up to 100 (largest remainder:
        each is its exact share rounded down or up)."""
        if not self.n:
            return (0, 0, 0)
        exact = [share * 100 for share in (self.agree, self.neutral, self.disagree)]
        whole = [int(value) for value in exact]
        order = sorted(range(3), key=lambda i: exact[i] - whole[i], reverse=True)
        for i in order[: 100 - sum(whole)]:
            whole[i] += 1
        return (whole[0], whole[1], whole[2])


def changed(pairs: Mapping[int, tuple[int, int]]) -> float | None:
    """The share of respondents whose stance differs between two rounds, among those who gave
    one in both (`pairs`: respondent -> (before, after)); None when nobody did."""
    if not pairs:
        return None
    return sum(before != after for before, after in pairs.values()) / len(pairs)


@dataclass(frozen=True, slots=True)
class Feedback:
    """What a returning respondent is shown on each conclusion of their round: how everyone
    answered in the round before it, and what they answered themselves."""

    round: int  # the round being answered
    shares: Mapping[str, Shares]  # per item, the previous round's stances
    own: Mapping[str, tuple[int, int | None]]  # per item: (round, stance; None: skipped)
    min_group: int  # fewer stances than this are not shown as shares

    @property
    def previous(self) -> int:
        """The round whose answers are shown."""
        return self.round - 1

    def shown(self, item: str) -> Shares | None:
        """The previous round's shares on `item`, or None while too few gave a stance to show
        them (nobody's answer can be made out from a handful)."""
        shares = self.shares.get(item)
        return shares if shares is not None and shares.n >= self.min_group else None
