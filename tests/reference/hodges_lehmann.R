# Reference values for trialkit.stats.hodges_lehmann on tie-free samples (no zeros, no tied |d|, no tied
# Walsh averages that matter): R's exact construction, the one trialkit follows for n <= 400.
# Run from the project root:  Rscript tests/reference/hodges_lehmann.R
# Writes tests/reference/hodges_lehmann.json. Base R only (stats package).
options(digits = 17)
num <- function(x) sprintf("%.17g", x)
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
case <- function(n, seed, alpha) {
  set.seed(seed)
  d <- round(rnorm(n, mean = 0.3), 6)   # six decimals keep the sample exact in JSON text
  stopifnot(!anyDuplicated(abs(d)), all(d != 0))
  r <- wilcox.test(d, exact = TRUE, conf.int = TRUE, conf.level = 1 - alpha)
  sprintf('{"n": %d, "alpha": %s, "d": %s, "estimate": %s, "ci_lower": %s, "ci_upper": %s}',
          n, num(alpha), vec(d), num(r$estimate), num(r$conf.int[1]), num(r$conf.int[2]))
}
# wilcox.test(d, exact = TRUE, conf.int = TRUE, conf.level = 1 - alpha)$estimate / $conf.int
cases <- c(case(5, 1, 0.05), case(12, 2, 0.05), case(31, 3, 0.10), case(100, 4, 0.05), case(400, 5, 0.01))
writeLines(paste0('{"wilcox_exact_ci": [\n  ', paste(cases, collapse = ",\n  "), "\n]}"), "tests/reference/hodges_lehmann.json")
