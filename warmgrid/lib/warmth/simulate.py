"""The demo district's survey answers: a documented generating model, so that every report
page shows real results and a test can hold the statistics to known truth.

Pure, no Django. Given an instrument, the communities with their governance indicators
and a seeded generator, `simulate_wave` returns one dict per respondent as a form would
submit it: question name → answer text (a select_one choice name, a select_multiple's
names separated by spaces, an integer as text), plus `community` and `duration_seconds`.

The model (defaults in `GeneratingModel`; `docs/warmth.md` has the table):

- **governance**: each indicator k is standardised across the communities given,
  z_kc = (x_kc − mean_k) / sd_k (a missing value counts as the mean, z = 0); the
  composite c_c = Σ w_k z_kc with the weights `governance_weights` (an indicator not
  named there weighs 0: counts such as cases_reported are not governance) is scaled to
  unit SD, g_c = c_c / sd(c). So Σ β_k z_kc = γ·g_c with β_k = γ·w_k / sd(c).
- **community warmth**, wave 1: u_c1 = γ·g_c + τ·e_c, e_c ~ N(0, 1);
  wave w > 1: u_cw = u_c,w−1 + δ₀ + δ·g_c + ω·η_cw, η_cw ~ N(0, 1) — communities with
  better governance warm further, so "change since last wave" is real.
  e_c, η_cw and each community's owner share are drawn from generators seeded by
  (`seed`, the community's code, the wave), not from the caller's generator, so a
  community is the same district-wide truth in every wave and whatever else is drawn.
- **respondent**: θ_i = μ + u_c + Σ_m b_m,* · x_mi + σ·ε_i, where the x are the
  respondent's covariates (an ordered one such as tenure by its step, 0 for the first
  choice; `name=choice` as a 0/1 dummy) and b_m,* their effect on general warmth.
- **facet factors**: η_fi = θ_i + Σ_m b_m,f · x_mi + ψ·s_fi, s_fi ~ N(0, 1): each facet
  its own factor, correlated with the general one (1/√(1 + ψ²) before covariates);
  tenure and ownership raise ties, connection, belonging and participation more than the
  rest, age raises taking part.
- **items** (select_one with K numeric choices): y*_ij = a_j·η_fi + b_j + e_ij,
  e_ij ~ N(0, 1), answer = the (k+1)-th scale value where k = #{κ_m < y*}, with
  thresholds κ_m = `threshold_spread`·Φ⁻¹(m/K), m = 1 … K−1; a reverse-keyed item gives
  the value at the other end (low + high − x). a_j = `loading`·U(0.8, 1.2), times
  `reverse_loading` when reverse-keyed; b_j ~ N(0, `location_sd`²), both fixed per item
  by (`seed`, the item's name).
- **"don't know"**: an item with a choice marked missing gets it with probability
  `dont_know`, `dont_know_facets` for the facets named there (services a resident has not
  used, government responsiveness).
- **checklists** (select_multiple): option o chosen with probability
  logistic(c_o + `checklist_loading`·η_fi), c_o running evenly from
  `checklist_first` to `checklist_last` in the form's order; none chosen → the choice
  marked missing ("none") if there is one.
- **numbers** (a scored integer or decimal, the 0–10 thermometer):
  low + (high − low)·Φ(`number_loading`·η_fi + N(0, `number_noise`²)), rounded.
- **covariates**: age band, ownership, tenure, hukou, education from the margins below,
  related as in a city: a community's owner share ~ Beta with mean `owner_share`, older
  residents own more and have lived there longer, renters more often hold hukou
  elsewhere, older residents have less schooling. Other unscored select_one questions:
  uniform. Other questions are left unanswered; `relevant` is not evaluated.
- **low-quality responses**: a share `straight_liners` gives one value to every scored
  select_one item (whatever its keying), its checklists and numbers as anyone would,
  in 0.6 of its usual time; a share `speeders` answers at random in `speeder_time` of
  the form's usual time. Durations otherwise are lognormal (`duration_sdlog`) around the
  form's estimated length (`estimated_minutes`), 5 % longer per age band.

`true_parameters` returns the truth (β per SD and per unit, g_c, u_cw, the planted
change, the latent ICC and governance share, each item's a_j and b_j); `draw_wave`
returns the answers with each respondent's θ and kind (ordinary, straight-liner,
speeder).
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from warmgrid.lib.warmth.instrument import Instrument, Question, _missing, estimated_minutes

COMMUNITY, DURATION = "community", "duration_seconds"
GENERAL = "*"  # a covariate effect on general warmth θ rather than one facet
ORDINARY, STRAIGHT_LINER, SPEEDER = "ordinary", "straight_liner", "speeder"

# Covariate margins, for residents met at home (older than the population at large).
AGE_BANDS = (0.12, 0.17, 0.18, 0.19, 0.20, 0.14)  # 18–29 … 70+
OTHER_HOUSING = 0.05  # dormitories, staying with others
TENURE_CUTS = (-1.2, -0.2, 0.8)  # under 1 year, 1–3, 3–10, over 10
TENURE_SHIFT = {"owner": 0.8, "renter": -0.8, "other": -0.3}
LOCAL_HUKOU = {"owner": 0.88, "renter": 0.45, "other": 0.6}
EDUCATION_CUTS = (-1.3, -0.3, 0.6)  # primary, junior, senior secondary, college


def _governance_weights() -> dict[str, float]:
    return {"response_on_time_rate": 1.0, "resolved_on_time_rate": 0.5,
            "satisfaction_rate": 1.0, "residents_per_grid_worker": -1.0,
            "care_plan_coverage": 0.5, "volunteer_hours": 0.5}


def _covariate_effects() -> dict[str, dict[str, float]]:
    return {
        "age_band": {GENERAL: 0.03, "participation": 0.15, "activities": 0.2, "ties": 0.05},
        "tenure": {GENERAL: 0.03, "ties": 0.15, "connection": 0.12, "belonging": 0.15,
                   "participation": 0.1},
        "ownership=owner": {GENERAL: 0.08, "ties": 0.2, "connection": 0.2,
                            "belonging": 0.3, "participation": 0.2},
        "hukou=local": {GENERAL: 0.05, "connection": 0.1},
    }


@dataclass(frozen=True)
class GeneratingModel:
    seed: int = 2026  # community- and item-level draws
    governance_weights: dict[str, float] = field(default_factory=_governance_weights)
    governance_sd: float = 0.25  # γ: SD of the governance part of u_c
    community_sd: float = 0.20  # τ
    drift_mean: float = 0.05  # δ₀: the whole district a little warmer each wave
    drift_governance: float = 0.20  # δ: change per SD of governance
    drift_sd: float = 0.10  # ω
    level: float = 0.2  # μ
    respondent_sd: float = 0.9  # σ
    covariate_effects: dict[str, dict[str, float]] = field(
        default_factory=_covariate_effects)
    facet_sd: float = 0.6  # ψ
    loading: float = 1.2
    reverse_loading: float = 0.8
    location_sd: float = 0.3
    threshold_spread: float = 1.6
    dont_know: float = 0.015
    dont_know_facets: dict[str, float] = field(
        default_factory=lambda: {"services": 0.06, "guides": 0.06})
    checklist_loading: float = 0.8
    checklist_first: float = -0.6
    checklist_last: float = -2.4
    number_loading: float = 0.6
    number_noise: float = 0.5
    owner_share: float = 0.68
    owner_concentration: float = 12.0  # Beta(a, b) with a + b = this
    straight_liners: float = 0.02
    speeders: float = 0.02
    duration_sdlog: float = 0.35
    speeder_time: tuple[float, float] = (0.08, 0.25)


@dataclass(frozen=True)
class Wave:
    rows: list[dict]
    kinds: tuple[str, ...]  # ORDINARY, STRAIGHT_LINER or SPEEDER per row
    theta: np.ndarray  # each respondent's general warmth θ_i
    truth: dict  # true_parameters(...)


def _stable_rng(seed: int, *parts) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(str(p).encode()) for p in parts)])


def _number(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _governance(communities: Sequence[tuple[str, Mapping[str, float]]],
                params: GeneratingModel) -> tuple[np.ndarray, dict]:
    """g_c (unit SD across the communities) and each indicator's mean, SD and β."""
    names = sorted({k for _, indicators in communities for k in indicators})
    composite = np.zeros(len(communities))
    standardised = {}
    for name in names:
        x = np.array([_number(indicators.get(name)) for _, indicators in communities])
        present = x[~np.isnan(x)]
        mean = float(present.mean()) if present.size else math.nan
        sd = float(present.std(ddof=1)) if present.size > 1 else 0.0
        z = np.where(np.isnan(x), 0.0, (x - mean) / sd) if sd > 0 else np.zeros(x.size)
        standardised[name] = (mean, sd)
        composite += params.governance_weights.get(name, 0.0) * z
    scale = float(composite.std(ddof=1)) if composite.size > 1 else 0.0
    g = composite / scale if scale > 0 else np.zeros(composite.size)
    coefficients = {}
    for name, (mean, sd) in standardised.items():
        per_sd = (params.governance_sd * params.governance_weights.get(name, 0.0) / scale
                  if scale > 0 and sd > 0 else 0.0)
        coefficients[name] = {"per_sd": per_sd, "per_unit": per_sd / sd if sd > 0 else 0.0,
                              "mean": mean, "sd": sd}
    return g, coefficients


def item_parameters(instrument: Instrument, params: GeneratingModel | None = None) -> dict:
    """Each scored item's loading a_j and location b_j, fixed by (seed, item name)."""
    params = params or GeneratingModel()
    found = {}
    for item in instrument.items:
        rng = _stable_rng(params.seed, "item", item.name)
        loading = params.loading * rng.uniform(0.8, 1.2)
        if item.reverse:
            loading *= params.reverse_loading
        found[item.name] = {"loading": float(loading),
                            "location": float(rng.normal() * params.location_sd)}
    return found


def true_parameters(communities: Sequence[tuple[str, Mapping[str, float]]], *,
                    waves: int = 2, params: GeneratingModel | None = None,
                    instrument: Instrument | None = None) -> dict:
    """The truth behind the simulated answers of waves 1 … `waves` (module docstring)."""
    params = params or GeneratingModel()
    if waves < 1:
        raise ValueError("Waves are numbered from 1.")
    g, coefficients = _governance(communities, params)
    between = params.governance_sd ** 2 + params.community_sd ** 2
    found: dict = {
        "model": asdict(params),
        "coefficients": coefficients,
        "between_variance": between,
        "within_variance": params.respondent_sd ** 2,
        "icc_latent": between / (between + params.respondent_sd ** 2),
        "governance_share": params.governance_sd ** 2 / between if between > 0 else 0.0,
        "communities": {},
    }
    for (code, _), governance in zip(communities, g, strict=True):
        rng = _stable_rng(params.seed, "community", code)
        levels = [params.governance_sd * governance + params.community_sd * rng.normal()]
        for wave in range(2, waves + 1):
            drift = _stable_rng(params.seed, "drift", code, wave).normal()
            levels.append(levels[-1] + params.drift_mean + params.drift_governance * governance
                          + params.drift_sd * drift)
        a = params.owner_share * params.owner_concentration
        owner_share = rng.beta(a, params.owner_concentration - a)
        found["communities"][code] = {
            "governance": float(governance), "levels": [float(v) for v in levels],
            "changes": [float(b - a) for a, b in itertools.pairwise(levels)],
            "owner_share": float(owner_share)}
    if instrument is not None:
        found["items"] = item_parameters(instrument, params)
    return found


def _scale_choices(question: Question) -> list[tuple[float, str]]:
    """A scored select_one's scale: (value, choice name), ascending, missing ones out."""
    return sorted((_number(c["name"]), str(c["name"])) for c in question.choices
                  if not _missing(c) and not math.isnan(_number(c["name"])))


def _missing_choice(question: Question) -> str | None:
    return next((str(c["name"]) for c in question.choices if _missing(c)), None)


def _options(question: Question) -> list[str]:
    return [str(c["name"]) for c in question.choices if not _missing(c)]


def _ordered(latent: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    return np.searchsorted(np.asarray(cuts), latent)


def _covariates(instrument: Instrument, owner_share: np.ndarray,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Chosen names per unscored select_one question (module docstring for the margins)."""
    n = owner_share.size
    chosen: dict[str, np.ndarray] = {}
    names = {q.name: q for q in instrument.questions
             if q.type == "select one" and not q.dimension}
    age = np.zeros(n)
    if "age_band" in names and len(_options(names["age_band"])) == len(AGE_BANDS):
        index = rng.choice(len(AGE_BANDS), size=n, p=AGE_BANDS)
        chosen["age_band"] = np.array(_options(names["age_band"]), dtype=object)[index]
        age = index - 2.5
    housing = np.full(n, "owner", dtype=object)
    if "ownership" in names and {"owner", "renter"} <= set(_options(names["ownership"])):
        logit = np.log(owner_share / (1 - owner_share)) + 0.3 * age
        housing = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "owner", "renter")
        if "other" in _options(names["ownership"]):
            housing = np.where(rng.random(n) < OTHER_HOUSING, "other", housing)
        chosen["ownership"] = housing.astype(object)
    if "tenure" in names and len(_options(names["tenure"])) == len(TENURE_CUTS) + 1:
        shift = np.array([TENURE_SHIFT[h] for h in housing])
        index = _ordered(0.35 * age + shift + rng.normal(size=n), TENURE_CUTS)
        chosen["tenure"] = np.array(_options(names["tenure"]), dtype=object)[index]
    if "hukou" in names and {"local", "other"} == set(_options(names["hukou"])):
        local = rng.random(n) < np.array([LOCAL_HUKOU[h] for h in housing])
        chosen["hukou"] = np.where(local, "local", "other").astype(object)
    if "education" in names and len(_options(names["education"])) == len(EDUCATION_CUTS) + 1:
        index = _ordered(-0.4 * age + rng.normal(size=n), EDUCATION_CUTS)
        chosen["education"] = np.array(_options(names["education"]), dtype=object)[index]
    for name, question in names.items():
        if name not in chosen and _options(question):
            chosen[name] = rng.choice(np.array(_options(question), dtype=object), size=n)
    return chosen


def _effects(key: str, chosen: dict[str, np.ndarray], instrument: Instrument) -> np.ndarray | None:
    """x_m per respondent: a covariate's step (0 for its first choice) or a 0/1 dummy."""
    name, _, choice = key.partition("=")
    if name not in chosen:
        return None
    if choice:
        return (chosen[name] == choice).astype(float)
    order = {option: i for i, option in enumerate(_options(instrument.question(name)))}
    return np.array([order[v] for v in chosen[name]], dtype=float)


def draw_wave(instrument: Instrument, communities: Sequence[tuple[str, Mapping[str, float]]],
              respondents: Mapping[str, int] | int, *, wave: int, rng: np.random.Generator,
              params: GeneratingModel | None = None) -> Wave:
    """One wave's answers with the truth behind them (module docstring)."""
    params = params or GeneratingModel()
    truth = true_parameters(communities, waves=wave, params=params, instrument=instrument)
    codes = [code for code, _ in communities]
    sizes = [respondents if isinstance(respondents, int) else int(respondents.get(code, 0))
             for code in codes]
    community = np.repeat(np.arange(len(codes)), sizes)
    n = community.size
    levels = np.array([truth["communities"][c]["levels"][wave - 1] for c in codes])
    owner_share = np.array([truth["communities"][c]["owner_share"] for c in codes])

    chosen = _covariates(instrument, owner_share[community] if n else np.zeros(0), rng)
    theta = params.level + (levels[community] if n else np.zeros(0))
    facet_shift: dict[str, np.ndarray] = {}
    for key, effects in params.covariate_effects.items():
        x = _effects(key, chosen, instrument)
        if x is None:
            continue
        for facet, effect in effects.items():
            if facet == GENERAL:
                theta = theta + effect * x
            else:
                facet_shift[facet] = facet_shift.get(facet, 0) + effect * x
    theta = theta + params.respondent_sd * rng.normal(size=n)
    facets = dict.fromkeys(item.facet for item in instrument.items)
    eta = {f: theta + facet_shift.get(f, 0) + params.facet_sd * rng.normal(size=n)
           for f in facets}

    u = rng.random(n)
    kinds = np.where(u < params.straight_liners, STRAIGHT_LINER,
                     np.where(u < params.straight_liners + params.speeders, SPEEDER, ORDINARY))
    answers = {q: chosen_names.astype(object) for q, chosen_names in chosen.items()}
    answers.update(_scored_answers(instrument, eta, kinds, truth["items"], params, rng))

    typical = estimated_minutes(instrument) * 60
    age_step = _effects("age_band", chosen, instrument)
    seconds = typical * np.exp(params.duration_sdlog * rng.normal(size=n)) * (
        1 + 0.05 * (age_step if age_step is not None else 0))
    seconds = np.where(kinds == SPEEDER, typical * rng.uniform(*params.speeder_time, size=n),
                       seconds)
    seconds = np.where(kinds == STRAIGHT_LINER, 0.6 * seconds, seconds)

    order = [q.name for q in instrument.questions if q.name in answers]
    rows = []
    for i in range(n):
        row = {name: answers[name][i] for name in order if answers[name][i] != ""}
        row[COMMUNITY] = codes[community[i]]
        row[DURATION] = max(1, round(float(seconds[i])))
        rows.append(row)
    return Wave(rows=rows, kinds=tuple(str(k) for k in kinds), theta=theta, truth=truth)


def _scored_answers(instrument: Instrument, eta: dict[str, np.ndarray], kinds: np.ndarray,
                    items: dict, params: GeneratingModel,
                    rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = kinds.size
    liner, speeder = kinds == STRAIGHT_LINER, kinds == SPEEDER
    single = [i for i in instrument.items if instrument.item_types[i.name] == "select one"]
    # A straight-liner's one value: one that every single-choice scale offers.
    common = set.intersection(*[{v for v, _ in _scale_choices(instrument.question(i.name))}
                                for i in single]) if single else set()
    common_values = sorted(common)
    line_value = (rng.choice(common_values, size=n) if common_values
                  else np.full(n, math.nan))
    answers: dict[str, np.ndarray] = {}
    for item in instrument.items:
        question = instrument.question(item.name)
        kind = instrument.item_types[item.name]
        latent = eta[item.facet]
        out = np.empty(n, dtype=object)
        if kind == "select one":
            scale = _scale_choices(question)
            values = np.array([v for v, _ in scale])
            names = np.array([name for _, name in scale], dtype=object)
            k = len(scale)
            cuts = params.threshold_spread * stats.norm.ppf(np.arange(1, k) / k)
            a, b = items[item.name]["loading"], items[item.name]["location"]
            index = _ordered(a * latent + b + rng.normal(size=n), cuts)
            if item.reverse:
                index = k - 1 - index
            index = np.where(speeder, rng.integers(0, k, size=n), index)
            out[:] = names[index]
            lined = liner & np.isin(line_value, values)
            out[lined] = [names[values == v][0] for v in line_value[lined]]
            dont_know = _missing_choice(question)
            if dont_know is not None:
                share = params.dont_know_facets.get(item.facet, params.dont_know)
                out[(rng.random(n) < share) & ~liner & ~speeder] = dont_know
        elif kind == "select all that apply":
            options = _options(question)
            intercepts = np.linspace(params.checklist_first, params.checklist_last,
                                     len(options)) if len(options) > 1 else [
                params.checklist_first]
            logits = np.column_stack([c + params.checklist_loading * latent
                                      for c in intercepts])
            ticked = rng.random((n, len(options))) < 1 / (1 + np.exp(-logits))
            ticked = np.where(speeder[:, None], rng.random((n, len(options))) < 0.2, ticked)
            none = _missing_choice(question) or ""
            out[:] = [" ".join(o for o, t in zip(options, row, strict=True) if t) or none
                      for row in ticked]
        else:  # integer or decimal, bounded by its constraint
            share = stats.norm.cdf(params.number_loading * latent
                                   + params.number_noise * rng.normal(size=n))
            share = np.where(speeder, rng.random(n), share)
            value = item.low + (item.high - item.low) * share
            if kind == "integer":
                out[:] = [str(int(v)) for v in np.clip(np.rint(value), item.low, item.high)]
            else:
                out[:] = [f"{v:.1f}" for v in np.clip(value, item.low, item.high)]
        answers[item.name] = out
    return answers


def simulate_wave(instrument: Instrument,
                  communities: Sequence[tuple[str, Mapping[str, float]]],
                  respondents: Mapping[str, int] | int, *, wave: int,
                  rng: np.random.Generator, params: GeneratingModel | None = None
                  ) -> list[dict]:
    """One dict per respondent: question name → answer text as a form submits it, plus
    `community` and `duration_seconds` (module docstring for the model)."""
    return draw_wave(instrument, communities, respondents, wave=wave, rng=rng,
                     params=params).rows
