# Reference values for trialkit.stats.responder_by_arm.
# Run from the project root:  Rscript tests/reference/responder.R  -> tests/reference/responder.json
# Needs r-cran-jsonlite (Debian); the intervals are written out from their definitions with base R.
suppressMessages(library(jsonlite))
out <- list()
# arms: control P and two others; responders / n
k <- c(P = 12, A = 21, B = 30); n <- c(P = 40, A = 41, B = 38)
out$k <- as.list(k); out$n <- as.list(n)
# exact CI per arm: binom.test
out$rates <- lapply(names(k), function(a) { ci <- binom.test(k[[a]], n[[a]])$conf.int; list(arm = a, ci_lower = ci[1], ci_upper = ci[2]) })
# Newcombe's hybrid score interval (method 10): Wilson limits of each proportion, prop.test(correct = FALSE)
wilson <- function(x, m) prop.test(x, m, correct = FALSE)$conf.int
newcombe <- function(x1, n1, x2, n2) {
  p1 <- x1 / n1; p2 <- x2 / n2; w1 <- wilson(x1, n1); w2 <- wilson(x2, n2); d <- p1 - p2
  c(d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
# Miettinen-Nurminen: the score statistic with the restricted MLE under p1 - p2 = delta found by optimize()
# on the binomial likelihood (not the closed-form cubic), variance times N / (N - 1); limits by uniroot().
mn_z2 <- function(delta, x1, n1, x2, n2) {
  lo <- max(0, -delta); hi <- min(1, 1 - delta)
  ll <- function(p2) { p1 <- p2 + delta; dbinom(x1, n1, p1, log = TRUE) + dbinom(x2, n2, p2, log = TRUE) }
  p2 <- optimize(ll, c(lo, hi), maximum = TRUE, tol = 1e-15)$maximum; p1 <- p2 + delta
  N <- n1 + n2
  (x1 / n1 - x2 / n2 - delta)^2 / ((p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * N / (N - 1))
}
mn <- function(x1, n1, x2, n2) {
  d <- x1 / n1 - x2 / n2; q <- qchisq(0.95, 1)
  f <- function(delta) mn_z2(delta, x1, n1, x2, n2) - q
  c(uniroot(f, c(-1 + 1e-9, d), tol = 1e-13)$root, uniroot(f, c(d, 1 - 1e-9), tol = 1e-13)$root)
}
out$differences <- lapply(c("A", "B"), function(a) {
  pt <- prop.test(c(k[[a]], k[["P"]]), c(n[[a]], n[["P"]]), correct = FALSE)
  N <- n[[a]] + n[["P"]]
  list(arm = a, newcombe = newcombe(k[[a]], n[[a]], k[["P"]], n[["P"]]), miettinen_nurminen = mn(k[[a]], n[[a]], k[["P"]], n[["P"]]),
       # Pearson chi-square (prop.test without correction) and the MN score test: the same statistic x (N - 1) / N
       pearson_p = pt$p.value, mn_p = pchisq(unname(pt$statistic) * (N - 1) / N, 1, lower.tail = FALSE))
})
# stratified: 2 x 2 x 3 per arm vs P; responders / n by stratum
sk <- list(P = c(3, 4, 5), A = c(6, 7, 8), B = c(9, 10, 11)); sn <- list(P = c(12, 14, 14), A = c(13, 14, 14), B = c(12, 13, 13))
out$strata_k <- sk; out$strata_n <- sn
out$cmh <- lapply(c("A", "B"), function(a) {
  t <- array(0, c(2, 2, 3))
  for (h in 1:3) t[, , h] <- matrix(c(sk[[a]][h], sk$P[h], sn[[a]][h] - sk[[a]][h], sn$P[h] - sk$P[h]), 2)
  m <- mantelhaen.test(t, correct = FALSE)
  list(arm = a, statistic = unname(m$statistic), p_value = m$p.value)
})
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/responder.json")
