# Reference values for the declared analyses of the randomized example (example_rct/study.yaml), computed from
# its data files as the plan describes them, independently of trialkit.
# Run from the project root:  Rscript tests/reference/example_rct.R  -> tests/reference/example_rct.json
# Needs (Debian) r-cran-emmeans r-cran-nlme r-cran-multcomp r-cran-coin r-cran-jsonlite.
suppressMessages({library(emmeans); library(nlme); library(multcomp); library(coin); library(jsonlite)})
ARMS <- c("Placebo", "Drug 200 mg", "Drug 400 mg")
VS_CONTROL <- list("Drug 200 mg - Placebo" = c(-1, 1, 0), "Drug 400 mg - Placebo" = c(-1, 0, 1))
out <- list()

subjects <- read.csv("example_rct/data/subjects.csv", colClasses = "character")
records <- read.csv("example_rct/data/cgi_visits.csv", colClasses = c(AVAL = "numeric"), stringsAsFactors = FALSE)
records <- merge(records, subjects[, c("SUBJID", "ARM", "DOSE", "TIER", "SITE", "ITTFL", "EFFFL")], by = "SUBJID")
records$ARM <- factor(records$ARM, levels = ARMS)
records$TIER <- factor(records$TIER)          # categorical (variables: TIER: categorical)
records$SITE <- factor(records$SITE)          # site codes are levels, never a slope
records$DOSE <- as.numeric(records$DOSE)

# CGI-S of the efficacy set with its change from Baseline
cgis <- subset(records, PARAM == "CGI-S" & EFFFL == "Y")
base <- setNames(cgis$AVAL[cgis$VISIT == "Baseline"], cgis$SUBJID[cgis$VISIT == "Baseline"])
cgis$BASE <- unname(base[cgis$SUBJID])
cgis$CHG <- cgis$AVAL - cgis$BASE
post <- subset(cgis, VISIT != "Baseline" & !is.na(CHG))

# ---- cgis_ancova: lm(CHG ~ ARM + TIER + SITE + BASE) at Week 6; emmeans proportional weights; dose response;
# Dunnett by multcomp's glht (mvtnorm, randomised quasi-Monte Carlo: abseps 1e-7 and a fixed seed)
w6 <- subset(post, VISIT == "Week 6")
fit <- lm(CHG ~ ARM + TIER + SITE + BASE, data = w6)
lsm <- emmeans(fit, ~ ARM, weights = "proportional")
ls <- summary(lsm, infer = TRUE)
ct <- summary(contrast(lsm, method = VS_CONTROL, adjust = "none"), infer = TRUE)
dose_fit <- lm(CHG ~ DOSE + TIER + SITE + BASE, data = w6)
co <- summary(dose_fit)$coefficients["DOSE", ]
ci <- confint(dose_fit)["DOSE", ]
set.seed(20240611)
g <- glht(fit, linfct = mcp(ARM = "Dunnett"))
s <- summary(g, test = adjusted("single-step", abseps = 1e-7, maxpts = 5e6))
set.seed(20240611)
cf <- confint(g, calpha = adjusted_calpha(abseps = 1e-7, maxpts = 5e6))
out$cgis_ancova <- list(
  n = as.list(table(model.frame(fit)$ARM)),
  lsmeans = list(arm = as.character(ls$ARM), estimate = ls$emmean, se = ls$SE, df = ls$df, ci_lower = ls$lower.CL,
                 ci_upper = ls$upper.CL, statistic = ls$t.ratio, p_value = ls$p.value),
  differences = list(contrast = as.character(ct$contrast), estimate = ct$estimate, se = ct$SE, df = ct$df,
                     ci_lower = ct$lower.CL, ci_upper = ct$upper.CL, statistic = ct$t.ratio, p_value = ct$p.value),
  dose = list(estimate = co[["Estimate"]], se = co[["Std. Error"]], df = df.residual(dose_fit),
              statistic = co[["t value"]], p_value = co[["Pr(>|t|)"]], ci_lower = ci[[1]], ci_upper = ci[[2]]),
  dunnett = list(contrast = names(s$test$coefficients), p_adjusted = unname(s$test$pvalues),
                 ci_lower = unname(cf$confint[, "lwr"]), ci_upper = unname(cf$confint[, "upr"])))

# the CSR summary rows of the same records, per arm: baseline, Week 6 value and change
summ <- function(x) list(n = length(x), mean = mean(x), sd = sd(x), median = median(x), min = min(x), max = max(x))
out$cgis_ancova$summaries <- lapply(setNames(ARMS, ARMS), function(a) {
  d <- subset(w6, ARM == a)
  list(baseline = summ(d$BASE), value = summ(d$AVAL), change = summ(d$CHG))
})

# ---- cgis_mmrm: CHG ~ ARM * VISIT + BASE * VISIT + TIER at Weeks 2, 4, 6; unstructured (corSymm + varIdent),
# REML. emmeans mode = "satterthwaite" (R has no Kenward-Roger for gls: the test compares trialkit's
# Satterthwaite fit, and the Kenward-Roger one's estimates); LS means weighted by the frequencies of TIER in the
# data (SAS OM; passed explicitly, as for a gls fit emmeans' "proportional" sums the varIdent weights), BASE at
# its mean; visit averages as the mean of the three visits' LS means.
post$VISIT <- factor(post$VISIT, levels = c("Week 2", "Week 4", "Week 6"))
ctl <- glsControl(opt = "optim", msMaxIter = 1000, msTol = 1e-12, tolerance = 1e-12, optimMethod = "BFGS")
gl <- gls(CHG ~ ARM * VISIT + BASE * VISIT + TIER, data = post, method = "REML",
          correlation = corSymm(form = ~ as.integer(VISIT) | SUBJID), weights = varIdent(form = ~ 1 | VISIT),
          control = ctl)
tier_freq <- as.numeric(table(post$TIER))
em <- emmeans(gl, ~ ARM | VISIT, weights = tier_freq, mode = "satterthwaite", cov.keep = character(0))
ls <- summary(em, infer = TRUE)
ct <- summary(contrast(em, method = VS_CONTROL, adjust = "none"), infer = TRUE)
emall <- emmeans(gl, ~ ARM * VISIT, weights = tier_freq, mode = "satterthwaite", cov.keep = character(0))
avg <- lapply(seq_along(ARMS), function(i) { w <- rep(0, 9); w[i + 3 * (0:2)] <- 1 / 3; w })
names(avg) <- ARMS
av <- summary(contrast(emall, method = avg), infer = TRUE)
avd <- lapply(VS_CONTROL, function(p) Reduce(`+`, Map(`*`, p, avg)))
avdiff <- summary(contrast(emall, method = avd), infer = TRUE)
out$cgis_mmrm <- list(
  m2rll = -2 * as.numeric(logLik(gl)), n_obs = nrow(post),
  lsmeans = list(visit = as.character(ls$VISIT), arm = as.character(ls$ARM), estimate = ls$emmean, se = ls$SE,
                 df = ls$df),
  differences = list(visit = as.character(ct$VISIT), contrast = as.character(ct$contrast), estimate = ct$estimate,
                     se = ct$SE, df = ct$df, p_value = ct$p.value),
  averages = list(arm = as.character(av$contrast), estimate = av$estimate, se = av$SE, df = av$df),
  average_differences = list(contrast = as.character(avdiff$contrast), estimate = avdiff$estimate, se = avdiff$SE,
                             df = avdiff$df))

# ---- cgii_cmh: CGI-I of the efficacy set, ARM x rating stratified by TIER at each visit. mantelhaen.test (general
# association) and coin, whose asymptotic statistics use the same conditional covariance N^2/(N-1) as PROC FREQ:
# cmh_test (general association), cmh_test with the ratings as scores of an ordered response (row mean scores),
# lbl_test with the arms ordered 1, 2, 3 (nonzero correlation). (vcdExtra::CMHtest tests each stratum first and
# stops on a stratum whose table is singular, as here: some ratings are absent from a tier at a visit.)
cgii <- subset(records, PARAM == "CGI-I" & EFFFL == "Y")
out$cgii_cmh <- lapply(setNames(c("Week 2", "Week 4", "Week 6"), c("Week 2", "Week 4", "Week 6")), function(v) {
  d <- subset(cgii, VISIT == v)
  levels <- sort(unique(cgii$AVAL))
  y <- ordered(d$AVAL)
  sc <- list(y = sort(unique(d$AVAL)))
  cg <- cmh_test(factor(d$AVAL) ~ ARM | TIER, data = d)
  rm <- cmh_test(y ~ ARM | TIER, data = cbind(d, y = y), scores = sc)
  lb <- lbl_test(y ~ ordered(ARM) | TIER, data = cbind(d, y = y), scores = sc)
  mh <- mantelhaen.test(d$ARM, factor(d$AVAL), d$TIER)
  list(correlation = list(statistic = unname(statistic(lb))^2, df = 1, p_value = as.numeric(pvalue(lb))),
       row_mean_scores = list(statistic = unname(statistic(rm)), df = unname(rm@statistic@df),
                              p_value = as.numeric(pvalue(rm))),
       general_association = list(statistic = unname(statistic(cg)), df = unname(cg@statistic@df),
                                  p_value = as.numeric(pvalue(cg))),
       mantelhaen = list(statistic = unname(mh$statistic), df = unname(mh$parameter), p_value = mh$p.value),
       counts = lapply(setNames(ARMS, ARMS), function(a) as.list(table(factor(d$AVAL[d$ARM == a], levels = levels)))))
})

# ---- cgii_responders: CGI-I <= 2 at Week 6, ITT set. Exact CI per arm (binom.test); Newcombe's hybrid score
# interval (method 10) from Wilson limits (prop.test(correct = FALSE)); score test = Pearson chi-square
# (prop.test(correct = FALSE)); mantelhaen.test(correct = FALSE) of each arm vs placebo stratified by TIER.
resp <- subset(records, PARAM == "CGI-I" & ITTFL == "Y" & VISIT == "Week 6")
resp$R <- resp$AVAL <= 2
wilson <- function(x, m) prop.test(x, m, correct = FALSE)$conf.int
newcombe <- function(x1, n1, x2, n2) {
  p1 <- x1 / n1; p2 <- x2 / n2; w1 <- wilson(x1, n1); w2 <- wilson(x2, n2); d <- p1 - p2
  c(d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
k <- sapply(ARMS, function(a) sum(resp$R[resp$ARM == a])); n <- sapply(ARMS, function(a) sum(resp$ARM == a))
out$cgii_responders <- list(
  rates = lapply(setNames(ARMS, ARMS), function(a) {
    ci <- binom.test(k[[a]], n[[a]])$conf.int
    list(n = n[[a]], n_responders = k[[a]], proportion = k[[a]] / n[[a]], ci_lower = ci[1], ci_upper = ci[2])
  }),
  total = { ci <- binom.test(sum(k), sum(n))$conf.int; list(n = sum(n), n_responders = sum(k), ci_lower = ci[1],
                                                             ci_upper = ci[2]) },
  differences = lapply(setNames(ARMS[-1], ARMS[-1]), function(a) {
    pt <- prop.test(c(k[[a]], k[["Placebo"]]), c(n[[a]], n[["Placebo"]]), correct = FALSE)
    nc <- newcombe(k[[a]], n[[a]], k[["Placebo"]], n[["Placebo"]])
    pair <- subset(resp, ARM %in% c(a, "Placebo"))
    mh <- mantelhaen.test(table(factor(pair$ARM, levels = c(a, "Placebo")), factor(pair$R, levels = c(TRUE, FALSE)),
                                pair$TIER), correct = FALSE)
    list(estimate = k[[a]] / n[[a]] - k[["Placebo"]] / n[["Placebo"]], ci_lower = nc[1], ci_upper = nc[2],
         p_value = pt$p.value, cmh_statistic = unname(mh$statistic), cmh_p_value = mh$p.value)
  }))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/example_rct.json")
