# Reference values for the statistics pingouin adds to trialkit's paired analyses, computed in R
# independently of pingouin (base R only). Run from the project root:
#   Rscript tests/reference/paired_effects.R      -> tests/reference/paired_effects.json
source("tests/reference/paired_effects_lib.R")
sleep <- read.csv("../shared/data/mixed_model_refdata/sleep_student1908.csv")
g1 <- sleep$extra[sleep$group == 1][order(sleep$ID[sleep$group == 1])]
g2 <- sleep$extra[sleep$group == 2][order(sleep$ID[sleep$group == 2])]
cgi <- read.csv("tests/reference/cgi_pairs.csv")
pre <- c(5.5, 2.4, 9.6, 4.2); post <- c(6.4, 3.4, 11.0, 4.8)   # pingouin.ttest docstring, example 3 (NaN pair dropped)

visits <- read.csv("example_study/data/cgi_visits.csv")
cgis <- visits[visits$PARAM == "CGI-S", ]
wide <- reshape(cgis[, c("SUBJID", "VISIT", "AVAL")], idvar = "SUBJID", timevar = "VISIT", direction = "wide")
m <- as.matrix(wide[, -1]); m <- m[complete.cases(m), ]
fr <- friedman.test(m)                                 # friedman.test(y) on complete subjects x visits
wine <- cbind(white = c(10, 8, 7, 9, 7, 4, 5, 6, 5, 10, 4, 7), red = c(7, 5, 8, 6, 5, 7, 9, 6, 4, 6, 7, 3),
              rose = c(8, 5, 6, 4, 7, 5, 3, 7, 6, 4, 4, 3))  # pingouin.friedman docstring
frw <- friedman.test(wine)
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
