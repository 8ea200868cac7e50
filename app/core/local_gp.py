"""A small Gaussian process for zoom's candidates: Matérn-5/2, one lengthscale per axis.

Zoom ranked its candidates by a thin-plate-spline interpolant of the losses, which has no
notion of how sure it is: it picked the interpolant's minimum, near the incumbent, again and
again, and on ill-conditioned objectives crawled (`lr-cliff`: the rate's valley is 500 times
steeper than dropout's, so zoom found the rate and left dropout where it was; 2.5e-3 against
Optuna's GP at 1.6e-6, issue 16). This GP has an uncertainty and a lengthscale per axis, so
zoom can rank by expected improvement, as GP-based optimizers do, in numpy and scipy only.

Cost: the hyperparameters (lengthscales and noise) are fitted by maximizing the marginal
likelihood (L-BFGS-B with its exact gradient) on at most 60 trials, a few ms; the posterior
on 100 trials and 1,024 candidates is one Cholesky and one matrix product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg.lapack import dpotrf, dpotri

_SQRT5 = math.sqrt(5.0)
# Bounds of the fitted log-lengthscales (unit cube) and log-noise (standardized losses). Near
# the minimum the trials' losses differ by far less than their spread: a floor of 1e-6 smoothed
# those differences away (lr-cliff 3e-9 against 1.3e-10 at 1e-8, docs/benchmarks.md).
_LOG_LS = (math.log(0.01), math.log(30.0))
_LOG_NOISE = (math.log(1e-8), math.log(0.5))
# The lengthscales' prior: log-normal around 0.5 with sd 2 in log space (weak).
_PRIOR_LS, _PRIOR_VAR = math.log(0.5), 4.0
_JITTER = 1e-8


def _matern(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matérn-5/2 at scaled distance r, and A with dk/dlog(l_j) = A * d_j^2 / l_j^2."""
    e = np.exp(-_SQRT5 * r)
    return (1.0 + _SQRT5 * r + 5.0 / 3.0 * r * r) * e, 5.0 / 3.0 * (1.0 + _SQRT5 * r) * e


def _kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matérn-5/2 between the rows of a and of b (scaled), in place on one n x m array."""
    r = a @ b.T
    r *= -2.0
    r += (a * a).sum(1)[:, None]
    r += (b * b).sum(1)[None, :]
    np.maximum(r, 0.0, out=r)
    np.sqrt(r, out=r)
    r *= _SQRT5  # r is now sqrt(5) times the distance
    k = r * r
    k *= 1.0 / 3.0
    k += r
    k += 1.0
    np.negative(r, out=r)
    np.exp(r, out=r)
    k *= r
    return k


def fit_hyperparameters(x: np.ndarray, y: np.ndarray, maxiter: int = 30) -> np.ndarray:
    """Log-lengthscales (one per column of x) and log-noise maximizing the marginal
    likelihood of the standardized losses y, under a weak prior on the lengthscales."""
    n, dim = x.shape
    theta0 = np.concatenate([np.full(dim, math.log(0.3)), [-4.0]])
    if n < 3 or dim == 0:
        return theta0
    diff2 = ((x[:, None, :] - x[None, :, :]) ** 2).reshape(n * n, dim)
    diag = np.diag_indices(n)

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        noise = math.exp(theta[dim])
        scaled = diff2 / np.exp(2 * theta[:dim])
        k, a = _matern(np.sqrt(scaled.sum(1)).reshape(n, n))
        k[diag] += noise + _JITTER
        chol, info = dpotrf(k, lower=1)  # LAPACK directly: scipy's wrappers cost more here
        if info:
            return 1e10, np.zeros_like(theta)
        inv, info = dpotri(chol, lower=1)
        inv = np.tril(inv) + np.tril(inv, -1).T
        alpha = inv @ y
        w = np.outer(alpha, alpha) - inv
        prior = theta[:dim] - _PRIOR_LS
        grad = np.empty_like(theta)
        grad[:dim] = -0.5 * ((w * a).reshape(-1) @ scaled) + prior / _PRIOR_VAR
        grad[dim] = -0.5 * noise * np.trace(w)
        value = 0.5 * y @ alpha + np.log(np.diag(chol)).sum() + (prior**2).sum() / 2 / _PRIOR_VAR
        return float(value), grad

    from scipy.optimize import minimize

    bounds = [_LOG_LS] * dim + [_LOG_NOISE]
    try:
        res = minimize(
            nll, theta0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": maxiter}
        )
    except (ValueError, np.linalg.LinAlgError):
        return theta0
    return res.x if np.all(np.isfinite(res.x)) else theta0


@dataclass
class LocalGP:
    """The posterior of a GP with fixed hyperparameters on trials x (scaled) and losses y."""

    lengthscales: np.ndarray
    x: np.ndarray  # divided by the lengthscales
    chol_inv: np.ndarray  # the inverse of the kernel matrix's Cholesky factor, transposed
    alpha: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> LocalGP | None:
        """The posterior given hyperparameters theta; None if the kernel matrix is singular."""
        ls, noise = np.exp(theta[:-1]), math.exp(theta[-1])
        xs = x / ls
        k = _kernel(xs, xs)
        k[np.diag_indices(len(y))] += noise + _JITTER
        chol, info = dpotrf(k, lower=1)
        if info:
            return None
        from scipy.linalg import solve_triangular

        inv = solve_triangular(np.tril(chol), np.eye(len(y)), lower=True, check_finite=False)
        return cls(ls, xs, inv.T.copy(), inv.T @ (inv @ y))

    def predict(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the standardized loss at the rows of u."""
        ks = _kernel(u / self.lengthscales, self.x)
        v = ks @ self.chol_inv
        v *= v
        return ks @ self.alpha, np.sqrt(np.maximum(1.0 - v.sum(1), 1e-12))

    def expected_improvement(self, u: np.ndarray, best: float) -> np.ndarray:
        """How much each row of u is expected to improve on `best` (standardized loss)."""
        from scipy.special import ndtr

        mean, sd = self.predict(u)
        z = (best - mean) / sd
        return sd * (z * ndtr(z) + np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi))
