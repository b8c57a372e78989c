# Reference values for trialkit.stats.multiplicity.
# Run from the project root:  Rscript tests/reference/multiplicity.R  -> tests/reference/multiplicity.json
# Needs r-cran-mvtnorm r-cran-jsonlite (Debian).
suppressMessages({library(mvtnorm); library(jsonlite)})
out <- list()

# p.adjust (stats): Holm, Hochberg, Benjamini-Hochberg
p <- c(0.012, 0.047, 0.003, 0.21, 0.039, 0.6)
out$p <- p
out$holm <- p.adjust(p, "holm"); out$hochberg <- p.adjust(p, "hochberg"); out$bh <- p.adjust(p, "BH")

# Dunnett, exact for product correlations rho_ij = l_i l_j (many-to-one contrasts of a one-way layout, l_i =
# sqrt(n_i / (n_i + n_0))): P(max|T_j| <= c) = E_S int phi(z) prod_j [Phi((cS + l_j z)/sqrt(1 - l_j^2))
# - Phi((-cS + l_j z)/sqrt(1 - l_j^2))] dz, S = sqrt(chi2_df / df); nested integrate() to 1e-13.
prod_cdf <- function(c, l, df) {
  inner <- function(s) sapply(s, function(si) integrate(function(z) {
    out <- dnorm(z); for (lj in l) out <- out * (pnorm((c * si + lj * z) / sqrt(1 - lj^2)) - pnorm((-c * si + lj * z) / sqrt(1 - lj^2)))
    out }, -Inf, Inf, rel.tol = 1e-13, abs.tol = 1e-15, subdivisions = 1000)$value)
  if (is.infinite(df)) return(inner(1))
  integrate(function(s) inner(s) * dchisq(df * s^2, df) * 2 * df * s, 0, Inf, rel.tol = 1e-12,
            abs.tol = 1e-15, subdivisions = 1000)$value
}
cases <- list(list(l = c(0.7, 0.6), df = 20), list(l = c(sqrt(0.5), sqrt(0.5), sqrt(0.5)), df = 60),
              list(l = c(0.75, 0.5, 0.6, 0.7), df = Inf), list(l = c(0.9, 0.85, 0.88), df = 227))
out$product <- lapply(cases, function(k) {
  cs <- c(1.2, 2.3, 3.5)
  list(l = k$l, df = if (is.infinite(k$df)) "inf" else k$df, c = cs, cdf = sapply(cs, prod_cdf, l = k$l, df = k$df),
       # the two-sided 95% Dunnett critical value: uniroot on the exact formula
       critical = uniroot(function(c) prod_cdf(c, k$l, k$df) - 0.95, c(1.5, 4), tol = 1e-12)$root)
})

# A general (not product) correlation: mvtnorm::pmvt with Genz-Bretz (randomised lattice, error estimate
# abseps 1e-8), seed fixed.
R <- matrix(c(1, 0.45, 0.52, 0.45, 1, 0.38, 0.52, 0.38, 1), 3)
set.seed(1)
out$general <- list(R = R, df = 40, c = c(1.5, 2.4, 3.1),
                    cdf = sapply(c(1.5, 2.4, 3.1), function(c)
                      as.numeric(pmvt(lower = rep(-c, 3), upper = rep(c, 3), df = 40, corr = R,
                                      algorithm = GenzBretz(maxpts = 5e6, abseps = 1e-8, releps = 0)))))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/multiplicity.json")
