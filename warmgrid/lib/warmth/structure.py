"""Is the instrument's structure in the answers? Sampling adequacy (KMO), Bartlett's test
of sphericity, eigenvalues and exploratory factor analysis.

Pure computation, no Django. Everything starts from one correlation matrix (pairwise or
listwise, as chosen: warmgrid.lib.warmth.reliability.covariance) and the n behind it, so
the statistics agree with each other and with the reliability figures.

- KMO (Kaiser 1970): Σr² / (Σr² + Σp²) over item pairs, p the partial correlations from
  the inverse of R (the anti-image); per item over that item's pairs. ≥ .80 is good,
  < .50 unacceptable.
- Bartlett (1950): χ² = −(n − 1 − (2k + 5)/6)·ln|R| on k(k − 1)/2 degrees of freedom.
- EFA: factor_analyzer extracts (minres or ML), statsmodels rotates (varimax or direct
  oblimin, Kaiser-normalised; see `rotate` for why). Loadings come back with
  arbitrary signs and order: each factor is signed so its loadings sum positive, and
  factors are ordered by the variance they explain.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from warmgrid.lib.warmth.reliability import MISSING_RULES, covariance

METHODS = ("minres", "ml")
ROTATIONS = ("varimax", "oblimin", None)


def correlation(data, missing: str = "pairwise") -> tuple[np.ndarray, int]:
    """The item correlation matrix and its n (respondents with two answers or more;
    listwise: with every answer)."""
    x = np.asarray(data, dtype=float)
    if missing not in MISSING_RULES:
        raise ValueError(f"missing must be one of {MISSING_RULES}, not {missing!r}.")
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
    cov, _ = covariance(x)
    sd = np.sqrt(np.diag(cov))
    if (sd == 0).any():
        raise ValueError("An item with no variance cannot be correlated.")
    return cov / np.outer(sd, sd), int(((~np.isnan(x)).sum(axis=1) >= 2).sum())


def kmo(corr: np.ndarray) -> tuple[float, np.ndarray]:
    """Overall and per-item Kaiser–Meyer–Olkin measures of sampling adequacy."""
    inverse = np.linalg.pinv(corr)
    scale = np.sqrt(np.outer(np.diag(inverse), np.diag(inverse)))
    partial = -inverse / scale
    off = ~np.eye(corr.shape[0], dtype=bool)
    r2 = np.where(off, corr ** 2, 0.0)
    p2 = np.where(off, partial ** 2, 0.0)
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + p2.sum(axis=0))
    return float(r2.sum() / (r2.sum() + p2.sum())), per_item


def bartlett(corr: np.ndarray, n: int) -> dict:
    k = corr.shape[0]
    sign, logdet = np.linalg.slogdet(corr)
    if sign <= 0:
        raise ValueError("The correlation matrix is singular: some items are redundant.")
    chi2 = -(n - 1 - (2 * k + 5) / 6) * logdet
    df = k * (k - 1) / 2
    return {"chi2": float(chi2), "df": int(df), "p": float(stats.chi2.sf(chi2, df))}


def _tidy(loadings: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = loadings * signs
    order = np.argsort(-(loadings ** 2).sum(axis=0), kind="stable")
    loadings = loadings[:, order]
    if phi is not None:
        phi = (phi * np.outer(signs, signs))[np.ix_(order, order)]
    return loadings, phi


def rotate(loadings: np.ndarray, rotation: str, *, normalize: bool = True
           ) -> tuple[np.ndarray, np.ndarray | None]:
    """Varimax (orthogonal) or direct oblimin (γ = 0, oblique) by statsmodels' gradient
    projection algorithm (Jennrich's, as R's GPArotation), with Kaiser normalisation (rows
    scaled to unit communality while rotating) unless `normalize` is False. Returns the
    loadings and, for oblimin, the factor correlations.

    Not factor_analyzer's rotator: its normalised varimax (0.5.1) stops far from the
    optimum (cross-loadings of .2 where the raw and the statsmodels rotations give .02)."""
    from statsmodels.multivariate.factor_rotation import rotate_factors

    scale = np.sqrt((loadings ** 2).sum(axis=1))[:, None] if normalize else 1.0
    if rotation == "varimax":
        rotated, _ = rotate_factors(loadings / scale, "varimax")
        return rotated * scale, None
    rotated, turn = rotate_factors(loadings / scale, "oblimin", 0, "oblique")
    return rotated * scale, turn.T @ turn


def efa(corr: np.ndarray, n_factors: int, *, method: str = "minres",
        rotation: str | None = "oblimin", normalize: bool = True) -> dict:
    """Exploratory factor analysis of a correlation matrix: factor_analyzer extracts
    (minres or ML), `rotate` rotates."""
    from factor_analyzer import FactorAnalyzer

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}.")
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {ROTATIONS}, not {rotation!r}.")
    k = corr.shape[0]
    if not 1 <= n_factors < k:
        raise ValueError(f"Between 1 and {k - 1} factors for {k} items.")
    with warnings.catch_warnings():
        # factor_analyzer 0.5.1 passes an argument scikit-learn 1.7 has renamed.
        warnings.simplefilter("ignore", FutureWarning)
        model = FactorAnalyzer(n_factors=n_factors, method=method, is_corr_matrix=True,
                               rotation=None)
        model.fit(corr)
    rotation = rotation if n_factors > 1 else None
    loadings, phi = model.loadings_, None
    if rotation is not None:
        loadings, phi = rotate(loadings, rotation, normalize=normalize)
    loadings, phi = _tidy(loadings, phi)
    communalities = model.get_communalities()
    return {
        "loadings": loadings.tolist(),
        "communalities": communalities.tolist(),
        "uniquenesses": (1 - communalities).tolist(),
        "factor_correlations": phi.tolist() if phi is not None else None,
        "choices": {"method": method, "rotation": rotation, "n_factors": n_factors,
                    "kaiser_normalisation": bool(rotation and normalize),
                    "signs_and_order": "each factor signed so its loadings sum positive; "
                                       "factors ordered by the variance they explain"},
    }


def structure(data, *, n_factors: int, missing: str = "pairwise", method: str = "minres",
              rotation: str | None = "oblimin") -> dict:
    """KMO, Bartlett, eigenvalues and the EFA of one set of items, with the choices made."""
    corr, n = correlation(data, missing)
    overall, per_item = kmo(corr)
    eigenvalues = np.sort(np.linalg.eigvalsh(corr))[::-1]
    return {
        "n": n, "k": corr.shape[0],
        "kmo": overall, "kmo_per_item": per_item.tolist(),
        "bartlett": bartlett(corr, n),
        "eigenvalues": eigenvalues.tolist(),
        "factors_above_1": int((eigenvalues > 1).sum()),
        "efa": efa(corr, n_factors, method=method, rotation=rotation),
        "choices": {"missing": missing},
    }
