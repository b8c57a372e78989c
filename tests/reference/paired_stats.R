# Reference values for trialkit.stats (descriptive, paired, responder).
# Run from the project root:  Rscript tests/reference/paired_stats.R
# Writes tests/reference/paired_stats.json. Base R only (stats package).
# Hollander & Wolfe (1999) Table 3.1: Hamilton depression scale, first and second visit.
options(digits = 17)
num <- function(x) if (is.na(x)) "null" else sprintf("%.17g", x)
obj <- function(...) {
  a <- list(...)
  paste0("{", paste(sprintf('"%s": %s', names(a), unlist(a)), collapse = ", "), "}")
}
vec <- function(x) paste0("[", paste(sapply(x, num), collapse = ", "), "]")

sleep <- read.csv("../shared/data/mixed_model_refdata/sleep_student1908.csv")
g1 <- sleep$extra[sleep$group == 1][order(sleep$ID[sleep$group == 1])]
g2 <- sleep$extra[sleep$group == 2][order(sleep$ID[sleep$group == 2])]
cgi <- read.csv("tests/reference/cgi_pairs.csv")
ham <- read.csv("tests/reference/hamilton.csv")

tt <- function(x, y) {
  r <- t.test(x, y, paired = TRUE)
  obj(statistic = num(r$statistic), df = num(r$parameter), p_value = num(r$p.value),
      estimate = num(r$estimate), ci_lower = num(r$conf.int[1]), ci_upper = num(r$conf.int[2]))
}
wx <- function(x, y) {
  r <- suppressWarnings(wilcox.test(x, y, paired = TRUE, exact = FALSE, correct = TRUE))
  obj(statistic = num(r$statistic), p_value = num(r$p.value))
}
wx_exact_ci <- function(x, y) {
  # exact = TRUE: estimate = median of Walsh averages, CI from order statistics with qsignrank
  r <- wilcox.test(x, y, paired = TRUE, exact = TRUE, conf.int = TRUE)
  obj(statistic = num(r$statistic), p_value = num(r$p.value), estimate = num(r$estimate),
      ci_lower = num(r$conf.int[1]), ci_upper = num(r$conf.int[2]))
}
cp <- function(k, n) {
  r <- binom.test(k, n)
  obj(k = k, n = n, ci_lower = num(r$conf.int[1]), ci_upper = num(r$conf.int[2]))
}
q2 <- function(x) vec(quantile(x, c(0.25, 0.5, 0.75), type = 2, names = FALSE))

out <- c(
  sprintf('"sleep_t": %s', tt(g1, g2)),                 # t.test(g1, g2, paired = TRUE)
  sprintf('"sleep_wilcox": %s', wx(g1, g2)),            # wilcox.test(g1, g2, paired=TRUE, exact=FALSE, correct=TRUE)
  sprintf('"cgi_t": %s', tt(cgi$week5, cgi$base)),      # t.test(week5, base, paired = TRUE)
  sprintf('"cgi_wilcox": %s', wx(cgi$week5, cgi$base)), # wilcox.test(week5, base, paired=TRUE, exact=FALSE, correct=TRUE)
  sprintf('"hamilton_wilcox_exact": %s', wx_exact_ci(ham$second, ham$first)),
  sprintf('"clopper_pearson": [%s]', paste(cp(7, 29), cp(0, 12), cp(12, 12), cp(1, 3), cp(15, 30), sep = ", ")),
  sprintf('"quantile_type2": {"cgi_base": %s, "sleep_g1": %s, "cgi_week5_minus_base": %s}',
          q2(cgi$base), q2(g1), q2(cgi$week5 - cgi$base)),
  sprintf('"sd": {"cgi_base": %s, "sleep_g1": %s}', num(sd(cgi$base)), num(sd(g1))),
  # t.test(x)$conf.int: the t-based CI of a mean
  sprintf('"mean_ci": {"cgi_base": %s, "sleep_g1": %s}', vec(t.test(cgi$base)$conf.int), vec(t.test(g1)$conf.int))
)
writeLines(paste0("{\n  ", paste(out, collapse = ",\n  "), "\n}"), "tests/reference/paired_stats.json")
