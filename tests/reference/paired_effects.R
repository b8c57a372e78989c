# Reference values for the statistics pingouin adds to trialkit's paired analyses, computed in R
# independently of pingouin (base R only). Run from the project root:
#   Rscript tests/reference/paired_effects.R      -> tests/reference/paired_effects.json
options(digits = 17)
num <- function(x) if (is.na(x)) "null" else sprintf("%.17g", x)
obj <- function(...) {
  a <- list(...)
  paste0("{", paste(sprintf('"%s": %s', names(a), unlist(a)), collapse = ", "), "}")
}
sleep <- read.csv("../shared/data/mixed_model_refdata/sleep_student1908.csv")
g1 <- sleep$extra[sleep$group == 1][order(sleep$ID[sleep$group == 1])]
g2 <- sleep$extra[sleep$group == 2][order(sleep$ID[sleep$group == 2])]
cgi <- read.csv("tests/reference/cgi_pairs.csv")
pre <- c(5.5, 2.4, 9.6, 4.2); post <- c(6.4, 3.4, 11.0, 4.8)   # pingouin.ttest docstring, example 3 (NaN pair dropped)

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
visits <- read.csv("example_study/data/cgi_visits.csv")
cgis <- visits[visits$PARAM == "CGI-S", ]
wide <- reshape(cgis[, c("SUBJID", "VISIT", "AVAL")], idvar = "SUBJID", timevar = "VISIT", direction = "wide")
m <- as.matrix(wide[, -1]); m <- m[complete.cases(m), ]
fr <- friedman.test(m)                                 # friedman.test(y) on complete subjects x visits
wine <- cbind(white = c(10, 8, 7, 9, 7, 4, 5, 6, 5, 10, 4, 7), red = c(7, 5, 8, 6, 5, 7, 9, 6, 4, 6, 7, 3),
              rose = c(8, 5, 6, 4, 7, 5, 3, 7, 6, 4, 4, 3))  # pingouin.friedman docstring
frw <- friedman.test(wine)
kendall_w <- function(f, mat) f$statistic / (nrow(mat) * (ncol(mat) - 1))
out <- c(
  sprintf('"ttest_sleep": %s', ttest_case(g1, g2)),
  sprintf('"ttest_cgi": %s', ttest_case(cgi$week5, cgi$base, alpha = 0.1)),
  sprintf('"ttest_pingouin_example": %s', ttest_case(pre, post)),
  sprintf('"log10_bf10_t100_n10000": %s', num(log_bf10(100, 10000) / log(10))),
  sprintf('"wilcox_sleep": %s', wilcox_case(g1, g2)),
  sprintf('"wilcox_cgi": %s', wilcox_case(cgi$week5, cgi$base)),
  sprintf('"friedman_example_cgis": %s', obj(n = nrow(m), statistic = num(fr$statistic), df = num(fr$parameter),
                                             p_value = num(fr$p.value), kendall_w = num(kendall_w(fr, m)))),
  sprintf('"friedman_wine": %s', obj(statistic = num(frw$statistic), p_value = num(frw$p.value),
                                     kendall_w = num(kendall_w(frw, wine))))
)
writeLines(paste0("{\n  ", paste(out, collapse = ",\n  "), "\n}"), "tests/reference/paired_effects.json")
