"""SciPy's rows (s2sdiff/scipy_rules.py) as users write them: ``scipy.special`` and
``scipy.stats`` called through the module, a ``from`` import or an alias, with
keywords; each against central differences and forward mode against reverse mode; the
scalar forms of the keyword rows against SymPy; the clear errors for what has no closed
form; and whole programs (logistic regression, Student-t regression, a Gaussian-process
marginal likelihood).  Skipped without SciPy."""

import subprocess
import sys

import numpy as np
import pytest

scipy = pytest.importorskip("scipy")

import scipy.special  # noqa: E402
import scipy.special as sp  # noqa: E402
import scipy.stats  # noqa: E402
from scipy.special import expit, gammaln, logsumexp  # noqa: E402
from scipy.stats import multivariate_normal, norm  # noqa: E402
from scipy.stats import t as student_t  # noqa: E402

from s2sdiff import check_grad, grad, hessian, jvp, rules, value_and_grad  # noqa: E402
from s2sdiff.check import check_rule  # noqa: E402
from s2sdiff.errors import UnsupportedError  # noqa: E402

rules.load_optional_rows()
from s2sdiff import scipy_rules  # noqa: E402

RNG = np.random.default_rng(7)


# --- the rows themselves ------------------------------------------------------------------

@pytest.mark.parametrize("rule", scipy_rules.SCALAR_FORMS, ids=lambda r: r.name)
def test_scalar_form_matches_sympy(rule):
    """The keyword rows' partials (parameters fixed as the form says) against sympy.diff."""
    assert len(check_rule(rule)) == rule.arity


SCIPY_ROWS = [rule for key, rule in rules.RULES.items()
              if isinstance(key, rules.Function) and rules._spelling(key.function)
              and rules._spelling(key.function).startswith("scipy.")]


def test_every_scipy_function_has_a_row():
    spelled = {rule.name for rule in SCIPY_ROWS}
    for name in ("expit", "logit", "erf", "erfc", "erfinv", "erfcinv", "gammaln", "gamma",
                 "digamma", "polygamma", "xlogy", "xlog1py", "entr", "betaln", "beta",
                 "j0", "j1", "y0", "y1", "i0", "i1", "i0e", "i1e", "jv", "yn", "iv", "ive",
                 "logsumexp", "softmax", "log_softmax"):
        assert f"scipy.special.{name}" in spelled
    for family in ("norm", "t", "gamma", "beta", "chi2"):
        for method in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
            assert f"scipy.stats.{family}.{method}" in spelled
    for name in ("poisson.logpmf", "poisson.pmf", "multivariate_normal.logpdf",
                 "multivariate_normal.pdf", "dirichlet.logpdf", "dirichlet.pdf"):
        assert f"scipy.stats.{name}" in spelled


@pytest.mark.parametrize("rule", SCIPY_ROWS, ids=lambda r: r.name)
def test_the_row_samples_lie_in_the_domain(rule):
    """tests/test_array_rules.py checks each row at its sample; a NaN there would agree
    with a NaN difference and prove nothing, so every sample value and gradient is finite."""
    from test_array_rules import RowCall
    from s2sdiff import vjp
    call = RowCall(rule)
    out, pullback = vjp(call.function, *call.primals)
    assert np.all(np.isfinite(out)), call.source
    for gradient in pullback(np.ones(np.shape(out)) if np.ndim(out) else 1.0):
        assert np.all(np.isfinite(gradient)), call.source


# --- user-facing forms --------------------------------------------------------------------

def gaussian_nll(x, mu, sigma):
    return -np.sum(scipy.stats.norm.logpdf(x, loc=mu, scale=sigma))


def density(x, mu, s):
    return np.sum(norm.pdf(x, mu, s))


def gate(z):
    return np.sum(sp.expit(z) * sp.erf(z) + sp.logit(expit(0.5 * z)))


def scalar_mix(a):
    return gammaln(a) + sp.digamma(a) * sp.erfinv(0.3 * sp.expit(a)) + sp.gamma(a / 2.0)


def t_tails(x, loc, scale):
    return np.sum(student_t.logcdf(x, 4.0, loc=loc, scale=scale)
                  + scipy.stats.t.sf(x, 3.0, loc, scale))


def gamma_family(x, a, scale):
    return np.sum(scipy.stats.gamma.logpdf(x, a, scale=scale)
                  + scipy.stats.gamma.logsf(x, 2.5, scale=scale))


def beta_chi2(x, a, b, df):
    return np.sum(scipy.stats.beta.logpdf(x, a, b) + scipy.stats.chi2.logpdf(3.0 * x, df)
                  + scipy.stats.beta.cdf(x, 2.0, 3.0) + scipy.stats.chi2.logcdf(x + 1.0, 3.0))


COUNTS = np.array([0, 3, 1, 7, 2])


def poisson_ll(mu):
    return np.sum(scipy.stats.poisson.logpmf(COUNTS, mu) + scipy.stats.poisson.pmf(COUNTS, mu))


def lse(a, b):
    return logsumexp(a, b=b) + np.sum(logsumexp(a * b, axis=0)) + np.sum(
        sp.logsumexp(a, axis=1, keepdims=True) * a)


LABELS = np.eye(3)[[0, 2, 1, 1]]


def softmax_loss(z):
    return -np.sum(LABELS * sp.log_softmax(z, axis=1)) + np.sum(sp.softmax(z, axis=1) ** 2) \
        + np.sum(sp.softmax(z) * z)


def bessel(x):
    return np.sum(sp.j0(x) + sp.j1(x) + sp.jv(2, x) + sp.i0e(x) + sp.i1(x) + sp.iv(0.5, x)
                  + sp.y0(x) + sp.yn(2, x) + sp.polygamma(2, x + 3.0) + sp.ive(1, x))


def xlog(x, y):
    return np.sum(sp.xlogy(x, y) + sp.xlog1py(x, y) + sp.entr(y) + sp.betaln(x, y)
                  + sp.beta(x, y) + sp.erfc(x) + sp.erfcinv(y / 4.0) + sp.i0(x) + sp.y1(y))


def mvn_built(x, mean, A):
    cov = A @ A.T + np.eye(3)
    return np.sum(multivariate_normal.logpdf(x, mean, cov)) + multivariate_normal.pdf(
        x[0], mean=mean, cov=cov)


def mvn_raw(x, mean, cov):
    return np.sum(multivariate_normal.logpdf(x, mean=mean, cov=cov))


def dirichlet_ll(z, alpha):
    x = sp.softmax(z, axis=0)
    return np.sum(scipy.stats.dirichlet.logpdf(x, alpha)) + scipy.stats.dirichlet.pdf(
        x[:, 0], alpha)


def scalar_stats(mu, s):
    return norm.logpdf(0.3, mu, s) + scipy.stats.t.logcdf(mu, 5.0, scale=s) \
        + sp.multigammaln(s + 2.0, 3) + sp.jn(1, mu)


def _positive(*shape):
    return RNG.uniform(0.5, 2.0, size=shape)


SPD = np.array([[2.0, 0.3, -0.2], [0.3, 1.5, 0.4], [-0.2, 0.4, 1.0]])
CASES = [
    (gaussian_nll, (RNG.normal(size=5), 0.3, 1.7)),
    (gaussian_nll, (0.4, RNG.normal(size=(2, 3)), _positive(3))),
    (density, (RNG.normal(size=4), 0.5, 1.3)),
    (gate, (RNG.normal(size=(2, 3)),)),
    (t_tails, (RNG.normal(size=4), 0.2, 1.5)),
    (gamma_family, (RNG.uniform(1.0, 4.0, size=4), _positive(4), 1.2)),
    (beta_chi2, (RNG.uniform(0.2, 0.8, size=3), 2.0, 1.5, 3.5)),
    (poisson_ll, (_positive(5),)),
    (lse, (RNG.normal(size=(3, 4)), _positive(3, 4))),
    (softmax_loss, (RNG.normal(size=(4, 3)),)),
    (bessel, (RNG.uniform(0.5, 3.0, size=4),)),
    (xlog, (_positive(3), _positive(3))),
    (mvn_built, (RNG.normal(size=(4, 3)), RNG.normal(size=3), RNG.normal(size=(3, 3)))),
    (mvn_raw, (RNG.normal(size=(4, 3)), RNG.normal(size=3), SPD)),
    (dirichlet_ll, (RNG.normal(size=(3, 2)), _positive(3))),
    (scalar_stats, (0.1, 1.2)),
]


@pytest.mark.parametrize("f, args", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_against_central_differences(f, args):
    check_grad(f, *args, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f, args", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_forward_mode_agrees_with_reverse_mode(f, args):
    """<grad f, u> by reverse mode equals the tangent along u by forward mode."""
    tangents = [RNG.normal(size=np.shape(a)) if np.ndim(a) else float(RNG.normal())
                for a in args]
    gradients = grad(f, wrt=tuple(range(len(args))))(*args)
    _, tangent = jvp(f, args, tangents)
    reverse = sum(float(np.sum(g * u)) for g, u in zip(gradients, tangents))
    assert tangent == pytest.approx(reverse, rel=1e-10, abs=1e-12)


def test_scalar_code_keeps_floats_and_second_derivatives():
    """A function of a float: its gradient matches the closed form, and hessian
    (forward over the generated reverse code, which calls special.polygamma) matches
    central differences of that gradient."""
    a = 2.3
    check_grad(scalar_mix, a)
    g = grad(scalar_mix)
    h = 1e-5
    assert hessian(scalar_mix)(a) == pytest.approx((g(a + h) - g(a - h)) / (2 * h), rel=1e-6)


def test_a_zero_scale_gives_nan_as_the_density_does():
    """Partials of Python numbers divide by the scale: at scale 0 the gradient's IEEE
    version gives NaN, as scipy's density does, rather than ZeroDivisionError."""
    with np.errstate(all="ignore"):
        assert np.isnan(scalar_stats(0.1, 0.0))
        gradients = grad(scalar_stats)(0.1, 0.0)
        _, tangent = jvp(scalar_stats, (0.1, 0.0), (1.0, 1.0))
    assert all(np.isnan(g) for g in gradients) and np.isnan(tangent)


def test_covariance_gradient_reads_the_lower_triangle_as_scipy_does():
    """scipy reads cov's lower triangle: an entry above the diagonal has no effect on the
    density (gradient 0), one below counts for both; for a symmetric parametrisation
    this is the usual symmetric gradient."""
    x, mean = RNG.normal(size=(4, 3)), RNG.normal(size=3)
    dcov = grad(mvn_raw, wrt="cov")(x, mean, SPD)
    assert np.all(dcov[np.triu_indices(3, 1)] == 0.0)
    inverse = np.linalg.inv(SPD)
    s = np.linalg.solve(SPD, (x - mean).T).T
    symmetric = 0.5 * (s.T @ s - 4 * inverse)
    np.testing.assert_allclose(dcov, np.tril(2 * symmetric) - np.diag(np.diag(symmetric)),
                               rtol=1e-12)


def test_generated_code_calls_scipy_as_the_user_spelled_it():
    z = RNG.normal(size=3)
    source = grad(gate).specialize(z).source
    assert "sp.expit(-z)" in source                    # the user's alias of scipy.special
    source = grad(gaussian_nll, wrt="mu").specialize(np.ones(3), 0.0, 1.0).source
    assert "z = (x - mu) / sigma  " in source           # shared by the operands' partials
    assert "dmu = np.sum(z / sigma * dlogpdfx)" in source


def test_an_alias_is_injected_when_the_user_imported_functions_only(tmp_path, monkeypatch):
    """A module that imported ``gammaln`` alone: the generated code names scipy.special
    ``special`` (bound for the generated function only)."""
    (tmp_path / "only_gammaln_module.py").write_text(
        "from scipy.special import gammaln\n\n\n"
        "def only_gammaln(a):\n    return gammaln(a) * 2.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from only_gammaln_module import only_gammaln
    source = grad(only_gammaln).specialize(3.0).source
    assert "da = special.digamma(a) * 2.0" in source
    assert grad(only_gammaln)(3.0) == pytest.approx(2 * scipy.special.digamma(3.0))
    assert "special" not in vars(sys.modules["only_gammaln_module"])


# --- what is refused ----------------------------------------------------------------------

def gamma_cdf(x, a):
    return np.sum(scipy.stats.gamma.cdf(x, a))


def order(n, x):
    return sp.polygamma(n, x)


def signed(a):
    return logsumexp(a, return_sign=True)[0]


def one_dimensional(x, mean, cov):
    return multivariate_normal.logpdf(x, mean, cov)


def implied_component(x, alpha):
    return scipy.stats.dirichlet.logpdf(x, alpha)


def test_no_closed_form_is_a_generation_time_error_in_both_modes():
    x = np.array([0.5, 1.5])
    with pytest.raises(UnsupportedError, match="has no closed form") as error:
        grad(gamma_cdf)(x, 2.0)
    assert error.value.lineno == gamma_cdf.__code__.co_firstlineno + 1
    assert "gamma.cdf" in str(error.value)
    with pytest.raises(UnsupportedError, match="has no closed form"):
        jvp(gamma_cdf, (x, 2.0), (np.zeros(2), 1.0))
    np.testing.assert_allclose(grad(gamma_cdf, wrt="x")(x, 2.0), scipy.stats.gamma.pdf(x, 2.0))


def test_the_order_of_a_special_function_stays_constant():
    with pytest.raises(UnsupportedError, match="respect to its order"):
        grad(order, wrt="n")(1.0, 2.0)
    assert grad(order, wrt="x")(1, 2.0) == pytest.approx(scipy.special.polygamma(2, 2.0))


@pytest.mark.parametrize("f, args, match", [
    (signed, (np.ones(3),), "return_sign"),
    (one_dimensional, (np.ones(1), np.zeros(1), np.eye(1)), "shapes"),
    (implied_component, (np.array([0.2, 0.3]), np.ones(3)), "shapes"),
])
def test_forms_scipy_reads_differently_are_refused(f, args, match):
    with pytest.raises(UnsupportedError, match=match):
        grad(f, wrt=0)(*args)


def test_s2sdiff_imports_without_scipy_and_does_not_import_it():
    code = ("import sys; sys.modules['scipy'] = None\n"
            "import numpy as np, s2sdiff\n"
            "from s2sdiff import rules\n"
            "assert rules.lookup(rules.Function(np.tanh)) is not None\n"
            "assert not any(k.startswith('scipy') for k in sys.modules if sys.modules[k])\n")
    lazy = "import s2sdiff, sys; assert 'scipy' not in sys.modules, 'scipy imported'"
    for snippet in (code, lazy):
        result = subprocess.run([sys.executable, "-c", snippet], capture_output=True,
                                text=True, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
        assert result.returncode == 0, result.stderr


# --- whole programs -----------------------------------------------------------------------

def logistic_regression(w, X, y):
    """Negative log-likelihood of a logistic regression, the log-partition written with
    logsumexp over the two classes, plus an expit-based calibration term."""
    z = X @ w
    logits = np.stack([np.zeros_like(z), z], axis=1)
    nll = np.sum(logsumexp(logits, axis=1)) - np.sum(y * z)
    return nll + 0.1 * np.sum((expit(z) - y) ** 2) + 0.5 * np.sum(w * w)


def student_t_regression(params, X, y):
    residual = y - X @ params["w"]
    df = np.exp(params["log_df"])
    return -np.sum(scipy.stats.t.logpdf(residual, df, scale=np.exp(params["log_scale"])))


def gp_marginal_likelihood(log_amplitude, log_length, log_noise, t, y):
    squared = (t[:, None] - t[None, :]) ** 2
    K = np.exp(2.0 * log_amplitude) * np.exp(-0.5 * squared / np.exp(2.0 * log_length)) \
        + np.exp(2.0 * log_noise) * np.eye(len(t))
    return -multivariate_normal.logpdf(y, mean=np.zeros(len(t)), cov=K)


def test_logistic_regression_trains_with_scipy_minimize():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    X = RNG.normal(size=(40, 3))
    y = (X @ np.array([1.5, -2.0, 0.5]) + 0.3 * RNG.normal(size=40) > 0).astype(float)
    w0 = np.zeros(3)
    check_grad(logistic_regression, w0 + 0.1, X, y, wrt="w")
    ours = scipy_optimize.minimize(value_and_grad(logistic_regression, wrt="w"), w0,
                                   args=(X, y), jac=True, method="BFGS")
    theirs = scipy_optimize.minimize(logistic_regression, w0, args=(X, y), method="BFGS")
    assert ours.success
    np.testing.assert_allclose(ours.x, theirs.x, rtol=1e-4, atol=1e-5)
    assert ours.nfev < theirs.nfev


def test_student_t_regression_gradient_of_a_pytree():
    X = RNG.normal(size=(20, 2))
    y = X @ np.array([0.7, -1.1]) + RNG.standard_t(3.0, size=20)
    params = {"w": np.array([0.1, 0.2]), "log_df": 0.8, "log_scale": -0.2}
    g = grad(student_t_regression, wrt="params")(params, X, y)
    assert set(g) == {"w", "log_df", "log_scale"}
    h = 1e-6
    for name in ("log_df", "log_scale"):
        up, down = dict(params), dict(params)
        up[name] += h
        down[name] -= h
        numeric = (student_t_regression(up, X, y) - student_t_regression(down, X, y)) / (2 * h)
        assert g[name] == pytest.approx(numeric, rel=1e-6)
    for i in range(2):
        up, down = dict(params, w=params["w"].copy()), dict(params, w=params["w"].copy())
        up["w"][i] += h
        down["w"][i] -= h
        numeric = (student_t_regression(up, X, y) - student_t_regression(down, X, y)) / (2 * h)
        assert g["w"][i] == pytest.approx(numeric, rel=1e-6)


def test_gaussian_process_marginal_likelihood():
    t = np.linspace(0.0, 5.0, 8)
    y = np.sin(t) + 0.1 * RNG.normal(size=8)
    args = (0.1, -0.3, -1.5, t, y)
    check_grad(gp_marginal_likelihood, *args, wrt=(0, 1, 2), rtol=1e-6)
    gradients = grad(gp_marginal_likelihood, wrt=(0, 1, 2))(*args)
    tangents = (0.3, -0.7, 0.2)
    _, tangent = jvp(gp_marginal_likelihood, args, tangents + (np.zeros(8), np.zeros(8)))
    assert tangent == pytest.approx(sum(g * u for g, u in zip(gradients, tangents)), rel=1e-10)
