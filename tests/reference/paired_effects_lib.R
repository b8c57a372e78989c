# The statistics pingouin adds to trialkit's paired analyses, computed in base R independently of pingouin:
# the JZS Bayes factor, the power of the paired t-test, the rank-biserial correlation and the CLES, and
# Kendall's W from friedman.test. Sourced by paired_effects.R and example_ordinal.R.
options(digits = 17)
num <- function(x) if (is.na(x)) "null" else sprintf("%.17g", x)
obj <- function(...) {
  a <- list(...)
  paste0("{", paste(sprintf('"%s": %s', names(a), unlist(a)), collapse = ", "), "}")
}

# JZS Bayes factor (Rouder et al. 2009, eq. 1), Cauchy prior scale r, by numerical integration on the log scale
log_bf10 <- function(t, n, r = 0.707) {
  df <- n - 1
  log_f <- function(g) -0.5 * log(1 + n * g * r^2) - (df + 1) / 2 * log(1 + t^2 / ((1 + n * g * r^2) * df)) -
    0.5 * log(2 * pi) - 1.5 * log(g) - 1 / (2 * g)
  log_null <- -(df + 1) / 2 * log(1 + t^2 / df)
  mode <- optimize(log_f, c(1e-8, 1e8), maximum = TRUE)$maximum
  shift <- log_f(mode)
  pieces <- c(0, mode / 100, mode / 10, mode, mode * 10, mode * 100, Inf)
  area <- sum(sapply(seq_len(length(pieces) - 1), function(i)
    integrate(function(g) exp(log_f(g) - shift), pieces[i], pieces[i + 1], rel.tol = 1e-12)$value))
  log(area) + shift - log_null
}
ttest_case <- function(x, y, alpha = 0.05) {
  d <- x - y; n <- length(d)
  t <- t.test(x, y, paired = TRUE)$statistic
  # power.t.test(type = "paired", strict = TRUE): both tails, delta/sd = the observed dz
  pw <- power.t.test(n = n, delta = mean(d), sd = sd(d), sig.level = alpha, type = "paired", strict = TRUE)$power
  obj(t = num(t), n = n, alpha = num(alpha), bf10 = num(exp(log_bf10(t, n))), power = num(pw))
}
wilcox_case <- function(x, y) {
  d <- x - y; nz <- d[d != 0]; r <- rank(abs(nz))
  # CLES: P(X > Y) + 0.5 P(X = Y) over all pairs of an x with a y
  cles <- mean(outer(x, y, ">") + 0.5 * outer(x, y, "=="))
  obj(rank_biserial = num((sum(r[nz > 0]) - sum(r[nz < 0])) / sum(r)), cles = num(cles))
}
kendall_w <- function(f, mat) f$statistic / (nrow(mat) * (ncol(mat) - 1))
