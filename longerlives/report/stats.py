"""Statistics behind the coverage and inequalities report (pure functions, no I/O).

* ``wilson_interval`` — Wilson score interval for a proportion (Wilson 1927; Newcombe 1998
  method 3; the method PHE/OHID use for proportions).
* ``funnel_limits`` — control limits for a funnel plot of proportions around a target
  (normal approximation to the binomial, as PHE/OHID's ``phe_funnels`` for proportions;
  Spiegelhalter 2005), clipped to 0–100 %.
* ``slope_index_of_inequality`` — SII across ordered deprivation groups: weighted least
  squares of the group value on the midpoint of its cumulative population share, ranked
  from most deprived (rank 0) to least deprived (rank 1), as PHE/OHID's ``phe_sii``.
* ``xmr_chart`` — an XmR (individuals) chart in the NHS England "Making Data Count" style:
  mean, process limits at mean ± 2.66 × mean moving range (moving ranges of 3.267 × the mean
  or more screened out), and the four special-cause rules (a point outside the limits; a
  run of 7 increasing or decreasing; 2 of 3 points beyond two-thirds of the way to a limit
  on the same side; a run of 7 on one side of the mean), as NHS-R's NHSRplotthedots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from statistics import NormalDist

import numpy as np

Z95 = NormalDist().inv_cdf(0.975)  # 1.959964…
Z998 = NormalDist().inv_cdf(0.999)  # 3.090232…


def z_for(confidence: float) -> float:
    """Two-sided standard-normal quantile for a confidence level given as a fraction (0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(numerator: int, denominator: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (as fractions 0–1) for ``numerator`` successes out of ``denominator``."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    if not 0 <= numerator <= denominator:
        raise ValueError("the numerator must be between 0 and the denominator")
    z = z_for(confidence)
    n, p = float(denominator), numerator / denominator
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    lower = 0.0 if numerator == 0 else (centre - half) / scale
    upper = 1.0 if numerator == denominator else (centre + half) / scale
    return lower, upper


@dataclass(frozen=True)
class FunnelLimits:
    """Control limits (fractions 0–1) around ``target`` for a unit with ``denominator`` people."""

    target: float
    denominator: int
    lower95: float
    upper95: float
    lower998: float
    upper998: float


def funnel_limits(target: float, denominator: int) -> FunnelLimits:
    """95 % (about 2 SD) and 99.8 % (about 3 SD) limits: target ± z·√(target(1−target)/n), clipped to [0, 1]."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    if not 0 <= target <= 1:
        raise ValueError("the target must be a proportion between 0 and 1")
    sd = math.sqrt(target * (1 - target) / denominator)

    def clip(x: float) -> float:
        return min(1.0, max(0.0, x))

    return FunnelLimits(
        target=target,
        denominator=denominator,
        lower95=clip(target - Z95 * sd),
        upper95=clip(target + Z95 * sd),
        lower998=clip(target - Z998 * sd),
        upper998=clip(target + Z998 * sd),
    )


def funnel_position(numerator: int, denominator: int, target: float) -> str:
    """Where a unit falls: ``above 99.8%``, ``above 95%``, ``within``, ``below 95%`` or ``below 99.8%``."""
    lim = funnel_limits(target, denominator)
    p = numerator / denominator
    if p > lim.upper998:
        return "above 99.8%"
    if p < lim.lower998:
        return "below 99.8%"
    if p > lim.upper95:
        return "above 95%"
    if p < lim.lower95:
        return "below 95%"
    return "within"


@dataclass(frozen=True)
class SII:
    """Slope index of inequality: predicted value at rank 1 (least deprived) minus rank 0 (most deprived)."""

    sii: float
    intercept: float  # predicted value at rank 0 (most deprived)
    lower: float | None = None
    upper: float | None = None


def relative_ranks(populations: list[float]) -> list[float]:
    """Midpoint of each group's cumulative population share, groups in the order given."""
    total = float(sum(populations))
    if total <= 0:
        raise ValueError("the populations must add up to more than zero")
    out, cum = [], 0.0
    for pop in populations:
        share = pop / total
        out.append(cum + share / 2)
        cum += share
    return out


def _sii_point(values: np.ndarray, shares: np.ndarray, ranks: np.ndarray) -> tuple[float, float]:
    # Weighted least squares of value on rank with weights = population share
    # (PHE's "Y√a = c√a + b·x√a" regression).
    sw = np.sqrt(shares)
    design = np.column_stack([sw, ranks * sw])
    coef, *_ = np.linalg.lstsq(design, values * sw, rcond=None)
    return float(coef[1]), float(coef[0])


def slope_index_of_inequality(
    values: list[float],
    populations: list[float],
    standard_errors: list[float] | None = None,
    confidence: float = 0.95,
    repetitions: int = 10_000,
    seed: int = 20261101,
) -> SII:
    """SII over groups ordered from most deprived to least deprived.

    With ``standard_errors``, a confidence interval by simulation as PHE/OHID do: each
    group's value drawn from Normal(value, se) ``repetitions`` times, the SII recomputed,
    and the central ``confidence`` share of the results kept (seeded, so repeatable).
    """
    if len(values) != len(populations) or len(values) < 2:
        raise ValueError("need a value and a population for each of at least two groups")
    pops = np.asarray(populations, dtype=float)
    shares = pops / pops.sum()
    ranks = np.asarray(relative_ranks(list(populations)))
    vals = np.asarray(values, dtype=float)
    slope, intercept = _sii_point(vals, shares, ranks)
    if standard_errors is None:
        return SII(slope, intercept)
    rng = np.random.default_rng(seed)
    ses = np.asarray(standard_errors, dtype=float)
    draws = rng.normal(vals, ses, size=(repetitions, len(vals)))
    sw = np.sqrt(shares)
    design = np.column_stack([sw, ranks * sw])
    # The least-squares slope is linear in the values: one row of the pseudo-inverse applied to
    # every draw at once (the same solution as lstsq per draw, without 10,000 right-hand sides).
    slopes = (draws * sw) @ np.linalg.pinv(design)[1]
    alpha = (1 - confidence) / 2
    lower, upper = np.quantile(slopes, [alpha, 1 - alpha])
    return SII(slope, intercept, float(lower), float(upper))


# -- Making Data Count: XmR chart and special-cause rules ------------------------------

XMR_LIMIT = 2.66  # 3 / d2 with d2 = 1.128 for moving ranges of two
XMR_OUTLIER_MR = 3.267  # D4 for n = 2: moving ranges this many times the mean or more are screened out
RUN = 7  # points in a run (one side of the mean) or a trend (all increasing or decreasing)


@dataclass(frozen=True)
class XmR:
    mean: float
    lower: float  # lower process limit
    upper: float  # upper process limit
    near_lower: float  # two-thirds of the way from the mean to the lower limit (about 2 sigma)
    near_upper: float
    special: tuple[str, ...]  # per point: "" (common cause) or the rule that flags it


def _moving_range_mean(values: list[float], screen_outliers: bool) -> float:
    mrs = [abs(b - a) for a, b in pairwise(values)]
    if not mrs:
        return 0.0
    amr = sum(mrs) / len(mrs)
    if screen_outliers:
        kept = [m for m in mrs if m < XMR_OUTLIER_MR * amr]
        amr = sum(kept) / len(kept) if kept else amr
    return amr


def xmr_chart(values: list[float], screen_outliers: bool = True) -> XmR:
    """Mean, process limits and the special cause (if any) for every point, in order.

    Rules in order of precedence (NHSRplotthedots ``ptd_special_cause_type``):
    ``outside limits``; ``trend`` (the point is one of 7 or more each higher, or each
    lower, than the one before); ``2 of 3 near a limit`` (2 of 3 points beyond the near
    limit on the same side, all three on that side of the mean); ``run`` (one of 7 or more
    on the same side of the mean; a point on the mean breaks a run).
    """
    if not values:
        raise ValueError("an XmR chart needs at least one value")
    y = [float(v) for v in values]
    mean = sum(y) / len(y)
    amr = _moving_range_mean(y, screen_outliers)
    upper, lower = mean + XMR_LIMIT * amr, mean - XMR_LIMIT * amr
    near = 2 * XMR_LIMIT / 3 * amr
    near_upper, near_lower = mean + near, mean - near
    n = len(y)
    side = [0 if v == mean else (1 if v > mean else -1) for v in y]
    outside = [v > upper or v < lower for v in y]
    close = [(not outside[i]) and (y[i] > near_upper or y[i] < near_lower) for i in range(n)]

    trend = [False] * n
    for end in range(RUN - 1, n):
        window = y[end - RUN + 1 : end + 1]
        diffs = [b - a for a, b in pairwise(window)]
        if all(d > 0 for d in diffs) or all(d < 0 for d in diffs):
            for i in range(end - RUN + 1, end + 1):
                trend[i] = True

    run = [False] * n
    for end in range(RUN - 1, n):
        window = side[end - RUN + 1 : end + 1]
        if window[0] != 0 and all(s == window[0] for s in window):
            for i in range(end - RUN + 1, end + 1):
                run[i] = True

    two_of_three = [False] * n
    for start in range(n - 2):
        idx = range(start, start + 3)
        sides = [side[i] for i in idx]
        if sum(close[i] for i in idx) >= 2 and abs(sum(sides)) == 3:
            for i in idx:
                if close[i]:
                    two_of_three[i] = True

    special = []
    for i in range(n):
        if outside[i]:
            special.append("outside limits")
        elif trend[i]:
            special.append("trend")
        elif two_of_three[i]:
            special.append("2 of 3 near a limit")
        elif run[i]:
            special.append("run")
        else:
            special.append("")
    return XmR(mean, lower, upper, near_lower, near_upper, tuple(special))
