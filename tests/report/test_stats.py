"""The report's statistics against published worked examples (references beside each)."""

from __future__ import annotations

import pytest

from longerlives.report.stats import (
    funnel_limits,
    funnel_position,
    slope_index_of_inequality,
    wilson_interval,
    xmr_chart,
)

# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
# seven methods. Stat Med 1998;17:857-872, Table II, method 3 (Wilson score, no continuity
# correction), 95 % intervals to four decimal places.
NEWCOMBE_1998 = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("r", "n", "lower", "upper"), NEWCOMBE_1998)
def test_wilson_interval_matches_newcombe_1998_worked_examples(r: int, n: int, lower: float, upper: float) -> None:
    lo, hi = wilson_interval(r, n)
    assert round(lo, 4) == lower
    assert round(hi, 4) == upper


def test_wilson_interval_when_everyone_is_covered_reaches_100_percent_and_stays_below_it_otherwise() -> None:
    lo, hi = wilson_interval(29, 29)
    assert hi == 1.0 and 0.85 < lo < 0.9  # mirror of Newcombe's 0/29-style case
    assert wilson_interval(28, 29)[1] < 1.0


# PHE/OHID PHEindicatormethods, tests/testthat/testdata_funnel_prop_outputs.csv (funnel
# limits for proportions around a baseline of 80.642448 %), percentages to 6 d.p.
# Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med 2005;24:1185-1202.
PHE_FUNNEL = [
    # population, lower 95 %, upper 95 %, lower 99.8 %, upper 99.8 %
    (1, 3.204264, 100, 0, 100),
    (18, 62.390093, 98.894803, 51.864359, 100),
    (41, 68.548635, 92.73626, 61.574398, 99.710497),
    (50, 69.691035, 91.593861, 63.375595, 97.909301),
    (1008, 78.203374, 83.081521, 76.796814, 84.488082),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
]


@pytest.mark.parametrize(("n", "lo95", "hi95", "lo998", "hi998"), PHE_FUNNEL)
def test_funnel_limits_match_phe_published_test_data(
    n: int, lo95: float, hi95: float, lo998: float, hi998: float
) -> None:
    lim = funnel_limits(0.80642448, n)
    assert 100 * lim.lower95 == pytest.approx(lo95, abs=2e-6)
    assert 100 * lim.upper95 == pytest.approx(hi95, abs=2e-6)
    assert 100 * lim.lower998 == pytest.approx(lo998, abs=2e-6)
    assert 100 * lim.upper998 == pytest.approx(hi998, abs=2e-6)


def test_practice_far_below_the_ics_mean_is_named_below_the_998_limit() -> None:
    # target 80 %; 100 people: 99.8 % limits are 80 ± 3.09 x 4 = 67.6 to 92.4 %
    assert funnel_position(60, 100, 0.80) == "below 99.8%"
    assert funnel_position(71, 100, 0.80) == "below 95%"
    assert funnel_position(80, 100, 0.80) == "within"
    assert funnel_position(89, 100, 0.80) == "above 95%"


# PHE/OHID PHEindicatormethods, tests/testthat/testdata_SII.xlsx: records 1-10 (deciles,
# "default (e.g. life expectancy)", area1) and 61-70 (quintiles, areas 1 and 2); value,
# population and standard error per quantile, quantile 1 = most deprived; published SII.
DECILES_VALUE = [
    75.933459010308098,
    78.344238272784295,
    83.836063104165405,
    83.637539966493094,
    80.465503152955904,
    81.115675985702197,
    81.693083571856207,
    84.190006206098701,
    80.595564108147201,
    86.289434957862397,
]
DECILES_POP = [7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534]
DECILES_SE = [
    1.6384724263585451,
    1.578192884542907,
    1.5134355059640296,
    1.7754906175801293,
    1.7013390591981388,
    1.5641210737675499,
    1.3681148366878566,
    1.4001418005940802,
    2.4328463975781616,
    1.5665181695934678,
]


def test_sii_across_deciles_matches_phe_published_value_and_interval() -> None:
    result = slope_index_of_inequality(DECILES_VALUE, DECILES_POP, DECILES_SE, repetitions=100_000)
    assert result.sii == pytest.approx(6.9346164736688189, abs=1e-9)
    # PHE's own test accepts a 5 % relative tolerance on simulated limits (3.1276, 10.7587)
    assert result.lower == pytest.approx(3.1275946176508169, rel=0.05)
    assert result.upper == pytest.approx(10.7586873680794, rel=0.05)


@pytest.mark.parametrize(
    ("values", "pops", "published"),
    [
        (DECILES_VALUE[:5], DECILES_POP[:5], 7.9193341471008738),
        (
            [70.54853186, 71.57155734, 72.48698671, 73.51985519, 73.14605425],
            [21675, 20065, 19750, 24713, 20112],
            3.6215563376545648,
        ),
    ],
)
def test_sii_across_quintiles_matches_phe_published_values(
    values: list[float], pops: list[int], published: float
) -> None:
    assert slope_index_of_inequality(values, pops).sii == pytest.approx(published, abs=1e-7)


def test_sii_is_negative_when_the_least_deprived_fare_worse() -> None:
    assert slope_index_of_inequality([90, 80, 70, 60, 50], [100] * 5).sii == pytest.approx(-50.0)


# NHS England "Making Data Count" XmR rules as implemented by NHS-R NHSRplotthedots
# (R/ptd_spc_standard.R, R/ptd_calculate_point_type.R and its tests): limits mean ± 2.66 x
# mean moving range; 7-point trend; 7 points one side of the mean; 2 of 3 near a limit.


def test_xmr_limits_worked_example() -> None:
    # 10, 12, 11, 13, 12, 14: mean 12; moving ranges 2, 1, 2, 1, 2 -> mean 1.6;
    # limits 12 ± 2.66 x 1.6 = 7.744 and 16.256
    chart = xmr_chart([10, 12, 11, 13, 12, 14])
    assert chart.mean == pytest.approx(12.0)
    assert chart.lower == pytest.approx(7.744)
    assert chart.upper == pytest.approx(16.256)
    assert chart.special == ("",) * 6


def test_xmr_screens_out_a_huge_moving_range_before_setting_limits() -> None:
    values = [10, 11, 10, 11, 10, 11, 10, 60, 10, 11]
    screened, unscreened = xmr_chart(values), xmr_chart(values, screen_outliers=False)
    assert screened.upper - screened.lower < unscreened.upper - unscreened.lower
    assert screened.special[7] == "outside limits"


def test_seven_rising_points_are_a_trend_but_six_are_not() -> None:
    assert xmr_chart([1, 2, 3, 4, 5, 6]).special.count("trend") == 0
    flagged = xmr_chart([2, 1, 2, 3, 4, 5, 6, 7, 3]).special
    assert [s == "trend" for s in flagged] == [False, True, True, True, True, True, True, True, False]


def test_a_repeated_value_breaks_a_trend() -> None:
    assert "trend" not in xmr_chart([1, 2, 3, 3, 4, 5, 6]).special


def test_seven_points_one_side_of_the_mean_are_a_run() -> None:
    below, above = [3, 4, 3, 4, 3, 4, 3], [6, 5, 6, 5, 6, 5, 6]
    assert xmr_chart(below + above).special == ("run",) * 14
    assert xmr_chart(below[:6] + above).special[:6] == ("",) * 6


def test_two_close_points_on_opposite_sides_of_the_mean_are_common_cause() -> None:
    # NHSRplotthedots issue #143 test: symmetrical data with 5.5 then -5.5 at the end
    values = [1.0, -1.0] * 8
    values[14], values[15] = 5.5, -5.5
    assert xmr_chart(values).special[-2:] == ("", "")


def test_two_of_three_points_near_the_upper_limit_are_special_cause() -> None:
    values = [0.0, 0.5] * 8 + [1.6, 0.6, 1.6]
    chart = xmr_chart(values)
    assert chart.near_upper < 1.6 < chart.upper  # mean 0.41, near limit 1.45, limit 1.98
    assert chart.special[-3:] == ("2 of 3 near a limit", "", "2 of 3 near a limit")
