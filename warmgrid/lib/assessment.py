"""Fair assessment (公平考核) of workers and units, beside the naive "zero complaints"
(零投诉) ranking, with the reasons each subject moved between the two.

Pure computation, no Django: the caller hands in one plain row per case and gets back,
for every subject (a worker or a unit), its counts, raw rates, difficulty-weighted rates,
a shrunk fair score, both ranks and the reasons it moved, plus every choice made.

The method, in short (docs/assessment.md has it in full):

- **Rates, not counts.** Each indicator is numerator / denominator over the subject's
  counted cases (cases with an approved "unreasonable demand" exclusion are left out).
- **Difficulty weighting.** A case that went well counts its category's difficulty d; a
  shortfall counts 1. If a category of difficulty d multiplies the odds of a shortfall by
  d, this weighted rate estimates the subject's rate on a standard (d = 1) case, whatever
  mix of cases it was given: hard cases stop dragging a worker down.
- **Shrinkage.** Beta-binomial empirical Bayes: the weighted rate is pulled toward the
  pool's weighted rate by a prior worth `m` standard cases, estimated from the spread
  between subjects (method of moments) unless fixed. Three cases cannot outrank eighty.
- **Fair score** = the mean of the shrunk rates of five indicators, 0–100. Subjects with
  fewer counted cases than the minimum are shown but not ranked.
- **Naive ranking** = what a zero-complaints regime does: fewest complaints (unhappy
  ratings ≤ 2 plus reopenings) first, over every case, ties broken by more cases.
"""

from __future__ import annotations

import statistics
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# The indicators of the fair score, in display order; each is "higher is better".
RESPONSE = "response"          # first response on time (响应及时率)
ON_TIME = "on_time"            # resolved by the (extended) deadline (按期办结率)
RESOLUTION = "resolution"      # fixed or partly fixed (解决率)
SATISFACTION = "satisfaction"  # rated 4 or 5, of the rated cases (满意率)
NO_REOPEN = "no_reopen"        # not reopened after an unhappy rating (1 − 重办率)
SCORED = (RESPONSE, ON_TIME, RESOLUTION, SATISFACTION, NO_REOPEN)
# Shown, never scored: a misroute is the dispatcher's or the router's mistake.
MISROUTE = "misroute"

SATISFIED_AT_LEAST = 4
UNHAPPY_AT_MOST = 2
DEFAULT_MINIMUM_CASES = 10
# Prior strength (in standard cases) when it cannot be estimated, and its bounds.
DEFAULT_PRIOR = 20.0
MIN_PRIOR = 5.0
MAX_PRIOR = 50.0
# Fewer subjects than this say too little about how much they differ: the default then.
MIN_SUBJECTS_TO_ESTIMATE = 5

# When a reason is worth giving.
MIX_MARGIN = 0.1         # mean difficulty this far from the pool's
VOLUME_HIGH = 1.5        # cases at least this times the median
VOLUME_LOW = 0.5         # cases at most this times the median
RATE_MARGIN = 0.05       # a shrunk rate 5 points from the pool's
HEAVY_PRIOR = 0.4        # the pool mean carries this share of the score, or more

UP, DOWN, NEUTRAL = "up", "down", "none"


@dataclass(frozen=True)
class CaseRow:
    """One closed case, as the assessment sees it."""

    case_id: int
    subject: Hashable
    difficulty: float = 1.0
    responded_on_time: bool | None = None  # None: no first-response deadline
    resolved_on_time: bool | None = None   # None: no resolution deadline
    resolved: bool = False                 # fixed or partly fixed
    rating: int | None = None              # 1–5, None when not rated
    reopens: int = 0
    misrouted: bool = False                # sent to a wrong unit on its way
    excluded: bool = False                 # an approved "unreasonable demand" exclusion

    @property
    def complaints(self) -> int:
        """What a zero-complaints regime counts: an unhappy rating, and each reopening."""
        unhappy = self.rating is not None and self.rating <= UNHAPPY_AT_MOST
        return int(unhappy) + self.reopens


@dataclass(frozen=True)
class Settings:
    minimum_cases: int = DEFAULT_MINIMUM_CASES
    prior_strength: float | None = None  # None: estimated from the data, per indicator
    window: Mapping[str, str] = field(default_factory=dict)  # carried into the choices
    subject_kind: str = "worker"


@dataclass(frozen=True)
class Figure:
    """One rate, with what it is made of, so that it can be checked by hand."""

    numerator: int
    denominator: int
    weighted_numerator: float
    weighted_denominator: float
    shrunk: float | None = None        # the fair estimate of the weighted rate
    prior_weight: float | None = None  # m / (weighted denominator + m)

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def weighted(self) -> float | None:
        if not self.weighted_denominator:
            return None
        return self.weighted_numerator / self.weighted_denominator


@dataclass(frozen=True)
class Reason:
    """Why a subject moved: a stable code, the direction it pushes the fair rank relative
    to the naive one, and the numbers behind it."""

    code: str
    direction: str
    numbers: Mapping[str, float | int | str]


@dataclass
class SubjectResult:
    subject: Hashable
    cases: int               # counted
    excluded: int
    complaints: int          # naive: over every case, excluded ones too
    complaints_excluded: int
    complaints_on_hard: int  # on counted cases harder than the pool's mean
    mean_difficulty: float | None
    figures: dict[str, Figure]
    fair_score: float | None
    ranked: bool
    naive_rank: int
    fair_rank: int | None = None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def all_cases(self) -> int:
        return self.cases + self.excluded

    @property
    def moved(self) -> int | None:
        """Places gained from the naive rank to the fair rank (negative: lost)."""
        return None if self.fair_rank is None else self.naive_rank - self.fair_rank


@dataclass(frozen=True)
class Pool:
    subjects: int
    cases: int
    excluded: int
    mean_difficulty: float | None
    median_cases: float | None
    figures: dict[str, Figure]
    prior_strength: dict[str, float]

    def mean(self, indicator: str) -> float | None:
        """The pool's weighted rate, which every subject is shrunk toward."""
        return self.figures[indicator].weighted


@dataclass
class Assessment:
    subjects: list[SubjectResult]
    pool: Pool
    choices: dict

    def by_subject(self) -> dict[Hashable, SubjectResult]:
        return {s.subject: s for s in self.subjects}


# ---- the figures ------------------------------------------------------------------------


def _outcome(row: CaseRow, indicator: str) -> bool | None:
    """Whether the case went well on an indicator; None when it does not apply."""
    if indicator == RESPONSE:
        return row.responded_on_time
    if indicator == ON_TIME:
        return row.resolved_on_time
    if indicator == RESOLUTION:
        return row.resolved
    if indicator == SATISFACTION:
        return None if row.rating is None else row.rating >= SATISFIED_AT_LEAST
    if indicator == NO_REOPEN:
        return row.reopens == 0
    if indicator == MISROUTE:
        return row.misrouted  # counted as it is: the share of cases that were misrouted
    raise ValueError(indicator)


def _figure(rows: Sequence[CaseRow], indicator: str) -> Figure:
    """Numerator and denominator; weighted, a good outcome counts d and a shortfall 1."""
    hits = trials = 0
    weighted_hits = weighted_trials = 0.0
    for row in rows:
        good = _outcome(row, indicator)
        if good is None:
            continue
        trials += 1
        if indicator == MISROUTE:
            hits += good
            continue
        if good:
            hits += 1
            weighted_hits += row.difficulty
            weighted_trials += row.difficulty
        else:
            weighted_trials += 1.0
    if indicator == MISROUTE:
        return Figure(hits, trials, 0.0, 0.0)
    return Figure(hits, trials, weighted_hits, weighted_trials)


def estimate_prior_strength(pairs: Sequence[tuple[float, float]], mean: float) -> float:
    """Beta-binomial prior strength m by the method of moments.

    `pairs` are (rate, cases) per subject. The case-weighted spread of the subjects' rates
    around the pool's is the spread of their true rates plus binomial noise; the noise
    taken out (the one-way ANOVA estimator for proportions, which copes with subjects of
    very different sizes), what is left, τ², gives m = μ(1 − μ)/τ² − 1. Clamped to
    [MIN_PRIOR, MAX_PRIOR]; no spread beyond the noise means the subjects look alike, so
    the pool mean weighs most.
    """
    pairs = [(r, n) for r, n in pairs if n > 0]
    if len(pairs) < MIN_SUBJECTS_TO_ESTIMATE or not 0 < mean < 1:
        return DEFAULT_PRIOR
    total = sum(n for _, n in pairs)
    spread = sum(n * (r - mean) ** 2 for r, n in pairs)
    noise = (len(pairs) - 1) * mean * (1 - mean)
    between = (spread - noise) / (total - sum(n * n for _, n in pairs) / total)
    if between <= 0:
        return MAX_PRIOR
    return min(MAX_PRIOR, max(MIN_PRIOR, mean * (1 - mean) / between - 1))


def shrink(figure: Figure, mean: float, strength: float) -> Figure:
    """(weighted hits + m·μ) / (weighted trials + m): between the subject's weighted rate
    and the pool's, nearer the pool's the fewer cases there are."""
    if not figure.weighted_denominator:
        value, weight = mean, 1.0  # nothing of its own: the pool's rate, whatever m is
    else:
        total = figure.weighted_denominator + strength
        value = (figure.weighted_numerator + strength * mean) / total
        weight = strength / total
    return Figure(figure.numerator, figure.denominator, figure.weighted_numerator,
                  figure.weighted_denominator, shrunk=value, prior_weight=weight)


def competition_ranks(keys: Sequence) -> list[int]:
    """1-based ranks where equal keys share a rank ("1, 2, 2, 4"); lower key ranks first."""
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    ranks = [0] * len(keys)
    for position, i in enumerate(order):
        if position and keys[i] == keys[order[position - 1]]:
            ranks[i] = ranks[order[position - 1]]
        else:
            ranks[i] = position + 1
    return ranks


# ---- the assessment ---------------------------------------------------------------------


def assess(rows: Iterable[CaseRow], settings: Settings | None = None) -> Assessment:
    settings = settings or Settings()
    if settings.minimum_cases < 1:
        raise ValueError("minimum_cases must be at least 1")
    if settings.prior_strength is not None and settings.prior_strength < 0:
        raise ValueError("prior_strength must not be negative")
    groups: dict[Hashable, list[CaseRow]] = {}
    for row in rows:
        if not row.difficulty > 0:
            raise ValueError(f"case {row.case_id}: difficulty must be positive")
        groups.setdefault(row.subject, []).append(row)
    counted_by = {s: [r for r in rs if not r.excluded] for s, rs in groups.items()}
    counted = [r for rs in counted_by.values() for r in rs]

    raw = {s: {ind: _figure(rs, ind) for ind in (*SCORED, MISROUTE)}
           for s, rs in counted_by.items()}
    pool_figures = {ind: _figure(counted, ind) for ind in (*SCORED, MISROUTE)}
    scored = [ind for ind in SCORED if pool_figures[ind].weighted is not None]
    strengths = {}
    for ind in scored:
        mean = pool_figures[ind].weighted
        if settings.prior_strength is not None:
            strengths[ind] = float(settings.prior_strength)
        else:
            pairs = [(f[ind].weighted, f[ind].denominator) for f in raw.values()
                     if f[ind].weighted is not None]
            strengths[ind] = estimate_prior_strength(pairs, mean)
    sizes = [len(rs) for rs in counted_by.values() if rs]
    pool = Pool(
        subjects=len(groups), cases=len(counted),
        excluded=sum(r.excluded for rs in groups.values() for r in rs),
        mean_difficulty=(statistics.fmean(r.difficulty for r in counted) if counted else None),
        median_cases=statistics.median(sizes) if sizes else None,
        figures=pool_figures, prior_strength=strengths,
    )

    results = []
    for subject, rows_all in groups.items():
        mine = counted_by[subject]
        figures = {}
        for ind, figure in raw[subject].items():
            figures[ind] = (shrink(figure, pool.mean(ind), strengths[ind]) if ind in scored
                            else figure)
        score = (100 * statistics.fmean(figures[ind].shrunk for ind in scored)
                 if scored else None)
        hard = [r for r in mine if pool.mean_difficulty is not None
                and r.difficulty > pool.mean_difficulty]
        results.append(SubjectResult(
            subject=subject, cases=len(mine), excluded=len(rows_all) - len(mine),
            complaints=sum(r.complaints for r in rows_all),
            complaints_excluded=sum(r.complaints for r in rows_all if r.excluded),
            complaints_on_hard=sum(r.complaints for r in hard),
            mean_difficulty=statistics.fmean(r.difficulty for r in mine) if mine else None,
            figures=figures, fair_score=score,
            ranked=len(mine) >= settings.minimum_cases and score is not None, naive_rank=0,
        ))

    # The zero-complaints regime: fewest complaints first, more cases breaking ties.
    naive = competition_ranks([(s.complaints, -s.all_cases) for s in results])
    for result, rank in zip(results, naive, strict=True):
        result.naive_rank = rank
    ranked = [s for s in results if s.ranked]
    fair = competition_ranks([-round(s.fair_score, 9) for s in ranked])
    for result, rank in zip(ranked, fair, strict=True):
        result.fair_rank = rank
    for result in results:
        result.reasons = reasons_for(result, results, pool, settings, scored)
    results.sort(key=lambda s: (not s.ranked, s.fair_rank or 0, s.naive_rank, str(s.subject)))

    choices = {
        "subject": settings.subject_kind,
        "window": dict(settings.window),
        "minimum_cases": settings.minimum_cases,
        "indicators": scored,
        "indicator_weights": {ind: 1 for ind in scored},
        "difficulty_weighting": "good_outcome_counts_difficulty_shortfall_counts_one",
        "prior": "estimated" if settings.prior_strength is None else "fixed",
        "prior_bounds": [MIN_PRIOR, MAX_PRIOR],
        "prior_default": DEFAULT_PRIOR,
        "prior_min_subjects": MIN_SUBJECTS_TO_ESTIMATE,
        "prior_strength": {ind: round(m, 2) for ind, m in strengths.items()},
        "satisfied_at_least": SATISFIED_AT_LEAST,
        "unhappy_at_most": UNHAPPY_AT_MOST,
        "naive": "fewest_complaints_then_most_cases",
        "excluded_cases": "left_out_of_fair_counted_in_naive",
    }
    return Assessment(subjects=results, pool=pool, choices=choices)


# ---- why each subject moved -------------------------------------------------------------


def reasons_for(result: SubjectResult, everyone: Sequence[SubjectResult], pool: Pool,
                settings: Settings, scored: Sequence[str]) -> list[Reason]:
    """Every factor that separates the fair ranking from the naive one for this subject,
    those pointing the way it moved first."""
    reasons: list[Reason] = []
    if not result.ranked:
        # Not ranked, so it did not move: the numbers behind it are too few to compare.
        reasons.append(Reason("few_cases", NEUTRAL, {
            "cases": result.cases, "minimum": settings.minimum_cases}))
        if result.excluded:
            reasons.append(Reason("exclusions", UP, {
                "excluded": result.excluded, "complaints": result.complaints_excluded}))
        return reasons
    ahead = sum(1 for other in everyone
                if not other.ranked and other.naive_rank < result.naive_rank)
    if ahead:
        reasons.append(Reason("unranked_ahead", UP, {"subjects": ahead}))
    # Who it drew level with or passed, and who passed it, among the ranked: the move
    # itself, in people. Between them and unranked_ahead, every move has a reason.
    ranked = [o for o in everyone if o.ranked and o is not result]
    passed = sum(1 for o in ranked
                 if o.naive_rank < result.naive_rank and o.fair_rank >= result.fair_rank)
    passed_by = sum(1 for o in ranked
                    if o.naive_rank >= result.naive_rank and o.fair_rank < result.fair_rank)
    if passed:
        reasons.append(Reason("passed", UP, {"subjects": passed}))
    if passed_by:
        reasons.append(Reason("passed_by", DOWN, {"subjects": passed_by}))
    if result.excluded:
        reasons.append(Reason("exclusions", UP, {
            "excluded": result.excluded, "complaints": result.complaints_excluded}))
    median = pool.median_cases
    if median and result.cases:
        if result.cases >= VOLUME_HIGH * median and result.complaints:
            reasons.append(Reason("high_volume", UP, {
                "cases": result.cases, "median": median,
                "complaints": result.complaints}))
        elif result.cases <= VOLUME_LOW * median:
            reasons.append(Reason("low_volume", DOWN, {
                "cases": result.cases, "median": median}))
    if result.mean_difficulty is not None and pool.mean_difficulty is not None:
        gap = result.mean_difficulty - pool.mean_difficulty
        numbers = {"mean": round(result.mean_difficulty, 2),
                   "pool": round(pool.mean_difficulty, 2)}
        if gap >= MIX_MARGIN:
            reasons.append(Reason("harder_mix", UP, numbers))
        elif gap <= -MIX_MARGIN:
            reasons.append(Reason("easier_mix", DOWN, numbers))
    counted_complaints = result.complaints - result.complaints_excluded
    if counted_complaints and result.complaints_on_hard * 2 >= counted_complaints:
        reasons.append(Reason("complaints_on_hard_cases", UP, {
            "hard": result.complaints_on_hard, "complaints": counted_complaints,
            "pool_difficulty": round(pool.mean_difficulty or 0, 2)}))
    # What the naive count never looks at: timeliness and whether it was fixed at all.
    for ind in (RESPONSE, ON_TIME, RESOLUTION, SATISFACTION):
        if ind not in scored:
            continue
        figure, mean = result.figures[ind], pool.mean(ind)
        if figure.denominator == 0 or figure.shrunk is None:
            continue
        numbers = {"indicator": ind, "rate": round(figure.weighted, 4),
                   "pool": round(mean, 4), "shrunk": round(figure.shrunk, 4)}
        if figure.shrunk - mean >= RATE_MARGIN:
            reasons.append(Reason("above_pool", UP, numbers))
        elif figure.shrunk - mean <= -RATE_MARGIN:
            reasons.append(Reason("below_pool", DOWN, numbers))
    weights = [result.figures[ind].prior_weight for ind in scored]
    if weights and statistics.fmean(weights) >= HEAVY_PRIOR:
        reasons.append(Reason("pulled_to_mean", NEUTRAL, {
            "cases": result.cases, "weight": round(statistics.fmean(weights), 4)}))
    way = UP if (result.moved or 0) > 0 else DOWN if (result.moved or 0) < 0 else NEUTRAL
    return sorted(reasons, key=lambda r: (not (r.direction == way != NEUTRAL),
                                          r.direction == NEUTRAL))
