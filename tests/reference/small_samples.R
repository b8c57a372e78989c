# Reference values for the ordinal analyses' small and gappy samples (tests/test_small_samples.py).
# Run from the project root:  Rscript tests/reference/small_samples.R  -> tests/reference/small_samples.json
# Needs r-cran-ordinal r-cran-jsonlite (Debian).
#
# hodges_lehmann: wilcox.test(d, exact = TRUE, conf.int = TRUE) for 1 to 7 tie-free differences, with the
#   confidence level the interval has: 1 - R's achieved.alpha (its code: qu <- qsignrank(alpha / 2, n), at least 1;
#   achieved.alpha <- 2 * psignrank(qu - 1, n)); R reports that level (and warns) when it falls short by more than
#   alpha / 2.
# gap: clm on a response whose category 3 is empty between observed 2 and 4: clm drops the level and names the
#   threshold across it "2|4".
suppressMessages({library(ordinal); library(jsonlite)})

hl <- list()
for (alpha in c(0.05, 0.01)) for (n in 1:7) {
  d <- c(1.3, -0.4, 2.9, 0.7, 4.1, -1.8, 3.6)[seq_len(n)]
  r <- suppressWarnings(wilcox.test(d, exact = TRUE, conf.int = TRUE, conf.level = 1 - alpha))
  qu <- max(qsignrank(alpha / 2, n), 1)
  hl[[length(hl) + 1]] <- list(n = n, alpha = alpha, d = d, estimate = unname(r$estimate),
                               ci_lower = r$conf.int[1], ci_upper = r$conf.int[2],
                               ci_level = 1 - 2 * psignrank(qu - 1, n),
                               r_conf_level = attr(r$conf.int, "conf.level"))
}

d <- data.frame(y = c(2, 2, 4, 4, 5, 2, 4, 5, 5, 4, 2, 5), x = c(1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 3, 1))
fit <- clm(factor(y) ~ x, data = d, control = clm.control(gradTol = 1e-12))
sc <- summary(fit)$coefficients
gap <- list(y = d$y, x = d$x, thresholds = names(fit$alpha), theta = unname(fit$alpha),
            theta_se = unname(sc[names(fit$alpha), 2]), beta = unname(coef(fit)["x"]), beta_se = sc["x", 2],
            loglik = as.numeric(logLik(fit)))

writeLines(toJSON(list(hodges_lehmann = hl, gap = gap), digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/small_samples.json")
