"""Internal consistency of a scale from a practice's own responses: pure Python, no Django.

What is computed
----------------
From a table of item scores (one row per respondent, one column per item of the scale, each
score *after* reverse-keying, so every item points the same way):

* **Cronbach's alpha** (Cronbach 1951, *Psychometrika* 16, 297-334)::

      alpha = k / (k - 1) * (1 - sum(var(item_i)) / var(total))

  with ``k`` items, ``total`` the row sums and sample variances (divisor ``n - 1``; alpha is the
  same with divisor ``n`` as long as one is used throughout).

* **Feldt's confidence interval** (Feldt 1965, *Psychometrika* 30, 357-370; Feldt, Woodruff &
  Salih 1987, *Applied Psychological Measurement* 11, 93-103). With ``n`` respondents,
  ``(1 - alpha) / (1 - alpha_hat)`` follows an F distribution with ``df1 = n - 1`` and
  ``df2 = (n - 1)(k - 1)`` degrees of freedom, so the ``1 - g`` interval is::

      [1 - (1 - alpha_hat) * F(1 - g/2; df1, df2),  1 - (1 - alpha_hat) * F(g/2; df1, df2)]

  The F quantiles come from the regularised incomplete beta function, evaluated by its continued
  fraction (the modified Lentz method) and inverted by bisection; no SciPy needed.

* **Item-rest correlations** (the "corrected item-total" correlation): Pearson's r between each
  item and the sum of the *other* items, so an item is not correlated with itself. A low or
  negative value points at an item that does not measure what the rest measure (or that was
  keyed the wrong way round).

Missing answers
---------------
Listwise deletion: a respondent who left any item of the scale unanswered (or for whom an item
was not applicable) is left out of that scale's estimate altogether, so every statistic of a
scale comes from the same complete rows and ``n`` counts exactly those. It is simple and never
invents an answer; it is unbiased when answers are missing completely at random, and the number
left out is reported (``excluded``) so the owner can see how much was lost.

Below ``MIN_RESPONDENTS`` complete rows the estimate is not offered: with few respondents alpha
swings widely (the Feldt interval shows how widely) and a practice should not base reliable change
on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Fewer complete responses than this and the estimate is "not enough data yet".
MIN_RESPONDENTS = 30
#: The confidence level of the interval shown.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class ItemRest:
    """One item's correlation with the sum of the other items; None when either has no variance."""

    key: str
    correlation: float | None


@dataclass(frozen=True)
class Estimate:
    """A scale's internal consistency from ``n`` complete responses (``excluded`` more had gaps).

    ``alpha``, ``interval`` and ``sd`` are None when they cannot be computed (fewer than two items
    or two complete rows, or total scores that do not vary). ``sd`` is the sample SD of the scale's
    scores (sums, or means for a mean scale) in the same rows.
    """

    n: int
    excluded: int
    k: int
    alpha: float | None
    interval: tuple[float, float] | None
    item_rest: tuple[ItemRest, ...]
    sd: float | None

    @property
    def enough(self) -> bool:
        """Whether there are enough complete responses to show and adopt the estimate."""
        return self.n >= MIN_RESPONDENTS

    @property
    def adoptable(self) -> bool:
        """Enough data, and an alpha usable as a reliability (at least 0 and below 1)."""
        return self.enough and self.alpha is not None and 0 <= self.alpha < 1


def complete_rows(rows: Iterable[Mapping[str, float | None]], keys: Sequence[str]) -> tuple[list[list[float]], int]:
    """Listwise deletion: the rows that answer every one of ``keys`` (in that order), and how many were dropped."""
    kept: list[list[float]] = []
    dropped = 0
    for row in rows:
        values = [row.get(key) for key in keys]
        if any(value is None for value in values):
            dropped += 1
        else:
            kept.append([float(value) for value in values])
    return kept, dropped


def variance(values: Sequence[float]) -> float:
    """The sample variance (divisor ``n - 1``)."""
    n = len(values)
    if n < 2:
        raise ValueError("A variance needs at least two values.")
    mean = math.fsum(values) / n
    return math.fsum((value - mean) ** 2 for value in values) / (n - 1)


def cronbach_alpha(table: Sequence[Sequence[float]]) -> float | None:
    """Cronbach's alpha of a complete table (rows: respondents, columns: items); None if undefined."""
    n, k = _shape(table)
    if n < 2 or k < 2:
        return None
    total_variance = variance([math.fsum(row) for row in table])
    if total_variance == 0:
        return None
    item_variances = math.fsum(variance([row[i] for row in table]) for i in range(k))
    return k / (k - 1) * (1 - item_variances / total_variance)


def feldt_interval(alpha: float, n: int, k: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Feldt's confidence interval for alpha from ``n`` respondents and ``k`` items."""
    if n < 2 or k < 2:
        raise ValueError("Feldt's interval needs at least two respondents and two items.")
    if not 0 < confidence < 1:
        raise ValueError("The confidence level must lie between 0 and 1.")
    if not math.isfinite(alpha) or alpha >= 1:
        raise ValueError("Alpha must be a finite number below 1.")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - confidence) / 2
    lower = 1 - (1 - alpha) * f_quantile(1 - tail, df1, df2)
    upper = 1 - (1 - alpha) * f_quantile(tail, df1, df2)
    return lower, upper


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation; None when either variable does not vary."""
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError("A correlation needs two equally long lists of at least two values.")
    mean_x, mean_y = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    syy = math.fsum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def item_rest_correlations(table: Sequence[Sequence[float]]) -> list[float | None]:
    """Each column's correlation with the sum of the other columns of a complete table."""
    n, k = _shape(table)
    if n < 2 or k < 2:
        return [None] * k
    totals = [math.fsum(row) for row in table]
    return [
        pearson([row[i] for row in table], [total - row[i] for total, row in zip(totals, table, strict=True)])
        for i in range(k)
    ]


def estimate(rows: Iterable[Mapping[str, float | None]], keys: Sequence[str], *, mean: bool = False) -> Estimate:
    """Everything the owner sees for one scale: rows are item scores (after reverse-keying) by key.

    ``mean`` says the scale's score is the mean of its items rather than their sum, which only
    changes ``sd`` (alpha and the correlations do not depend on it).
    """
    table, excluded = complete_rows(rows, keys)
    n, k = len(table), len(keys)
    alpha = cronbach_alpha(table)
    interval = feldt_interval(alpha, n, k) if alpha is not None else None
    scores = [math.fsum(row) / (k if mean else 1) for row in table]
    sd = math.sqrt(variance(scores)) if n >= 2 else None
    correlations = item_rest_correlations(table) if table else [None] * k
    return Estimate(
        n=n,
        excluded=excluded,
        k=k,
        alpha=alpha,
        interval=interval,
        item_rest=tuple(ItemRest(key, r) for key, r in zip(keys, correlations, strict=True)),
        sd=sd if sd else None,
    )


# --- The F distribution -------------------------------------------------------------------------------------------


def f_cdf(x: float, df1: float, df2: float) -> float:
    """P(F <= x) with ``df1`` and ``df2`` degrees of freedom: ``I_u(df1/2, df2/2)`` at ``u = df1 x / (df1 x + df2)``."""
    if x <= 0:
        return 0.0
    return regularized_beta(df1 * x / (df1 * x + df2), df1 / 2, df2 / 2)


def f_quantile(p: float, df1: float, df2: float) -> float:
    """The x with ``f_cdf(x) == p``, by bisection on ``u = df1 x / (df1 x + df2)`` in (0, 1)."""
    if not 0 < p < 1:
        raise ValueError("p must lie strictly between 0 and 1.")
    a, b = df1 / 2, df2 / 2
    low, high = 0.0, 1.0
    for _step in range(200):  # halving (0, 1) 200 times is well past double precision
        middle = (low + high) / 2
        if regularized_beta(middle, a, b) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-15 * max(middle, 1e-300):
            break
    u = (low + high) / 2
    return df2 * u / (df1 * (1 - u))


def regularized_beta(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta function ``I_x(a, b)``.

    Evaluated by its continued fraction where that converges fast (``x < (a + 1) / (a + b + 2)``)
    and through the symmetry ``I_x(a, b) = 1 - I_(1-x)(b, a)`` elsewhere.
    """
    if not 0 <= x <= 1:
        raise ValueError("x must lie between 0 and 1.")
    if x in (0, 1):
        return float(x)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1 - math.exp(log_front) * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function, by the modified Lentz method."""
    tiny = 1e-300

    def guard(value: float) -> float:
        return value if abs(value) > tiny else tiny

    c, d = 1.0, 1 / guard(1 - (a + b) * x / (a + 1))
    result = d
    for m in range(1, 10_000):
        # The even step, then the odd step, of the fraction's terms.
        even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1 / guard(1 + even * d)
        c = guard(1 + even / c)
        result *= d * c
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 / guard(1 + odd * d)
        c = guard(1 + odd / c)
        delta = d * c
        result *= delta
        if abs(delta - 1) < 1e-15:
            return result
    raise ArithmeticError("The incomplete beta function did not converge.")


def _shape(table: Sequence[Sequence[float]]) -> tuple[int, int]:
    n = len(table)
    k = len(table[0]) if n else 0
    if any(len(row) != k for row in table):
        raise ValueError("Every row needs a value for every item.")
    return n, k
