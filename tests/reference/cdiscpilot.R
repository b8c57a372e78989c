# Reference values for the treatment comparisons of the CDISC pilot (CDISCPILOT01) that trialkit's
# ancova(), mmrm_by_arm() and cmh() reproduce. Record selection: tests/reference/cdiscpilot_NOTES.md.
# Run from the project root:  Rscript tests/reference/cdiscpilot.R  -> tests/reference/cdiscpilot.json
# Reads ../shared/data/cdiscpilot01 (never copied). Needs (Debian) r-cran-emmeans r-cran-nlme r-cran-lme4
# r-cran-pbkrtest r-cran-multcomp r-cran-coin r-cran-haven r-cran-jsonlite.
suppressMessages({library(emmeans); library(nlme); library(lme4); library(multcomp); library(coin)
                  library(haven); library(jsonlite)})
emm_options(lmer.df = "kenward-roger")
DATA <- "../shared/data/cdiscpilot01"
ARMS <- c("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")
PAIRS <- list("Xanomeline Low Dose - Placebo" = c(-1, 1, 0), "Xanomeline High Dose - Placebo" = c(-1, 0, 1),
              "Xanomeline High Dose - Xanomeline Low Dose" = c(0, -1, 1))
out <- list()

# ---- ADAS-Cog(11): ADADAS, ACTOT records; LOCF analysis = every ANL01FL record at the visit ---------------
adas <- read.csv(file.path(DATA, "adadas_actot_tdf.csv"), na.strings = "", stringsAsFactors = FALSE)
adas <- subset(adas, EFFFL == "Y" & ITTFL == "Y" & PARAMCD == "ACTOT" & ANL01FL == "Y")
adas$TRTP <- factor(adas$TRTP, levels = ARMS)
adas$SITEGR1 <- factor(adas$SITEGR1)

# ANCOVA of CHG at a visit: lm(CHG ~ TRTP + SITEGR1 + BASE); LS means with emmeans weights = "proportional"
# (SAS LSMEANS / OM); differences by contrast() with the coefficients of PAIRS (unadjusted, infer = TRUE);
# dose response lm(CHG ~ TRTPN + SITEGR1 + BASE), the TRTPN row of summary(); Type III by drop1(test = "F")
# (a model without interactions: Type II = Type III).
arm_model <- function(fit, dose_fit, dose_term) {
  lsm <- emmeans(fit, ~ TRTP, weights = "proportional")
  ls <- summary(lsm, infer = TRUE)
  ct <- summary(contrast(lsm, method = PAIRS, adjust = "none"), infer = TRUE)
  co <- summary(dose_fit)$coefficients[dose_term, ]
  ci <- confint(dose_fit)[dose_term, ]
  d1 <- drop1(fit, . ~ ., test = "F")
  list(n = as.list(table(model.frame(fit)$TRTP)),
       lsmeans = list(arm = as.character(ls$TRTP), estimate = ls$emmean, se = ls$SE, df = ls$df,
                      ci_lower = ls$lower.CL, ci_upper = ls$upper.CL, statistic = ls$t.ratio, p_value = ls$p.value),
       differences = list(contrast = as.character(ct$contrast), estimate = ct$estimate, se = ct$SE, df = ct$df,
                          ci_lower = ct$lower.CL, ci_upper = ct$upper.CL, statistic = ct$t.ratio, p_value = ct$p.value),
       dose = list(estimate = co[["Estimate"]], se = co[["Std. Error"]], df = df.residual(dose_fit),
                   statistic = co[["t value"]], p_value = co[["Pr(>|t|)"]], ci_lower = ci[[1]], ci_upper = ci[[2]]),
       type3 = list(term = rownames(d1)[-1], num_df = d1$Df[-1], statistic = d1[["F value"]][-1],
                    p_value = d1[["Pr(>F)"]][-1], den_df = rep(df.residual(fit), nrow(d1) - 1)))
}

for (wk in c(8, 16, 24)) {
  d <- subset(adas, AVISITN == wk)
  fit <- lm(CHG ~ TRTP + SITEGR1 + BASE, data = d)
  res <- arm_model(fit, lm(CHG ~ TRTPN + SITEGR1 + BASE, data = d), "TRTPN")
  # Dunnett, each Xanomeline arm vs placebo: multcomp's glht (mvtnorm, randomised quasi-Monte Carlo made
  # precise with abseps = 1e-7 and a fixed seed)
  set.seed(20240101)
  g <- glht(fit, linfct = mcp(TRTP = "Dunnett"))
  s <- summary(g, test = adjusted("single-step", abseps = 1e-7, maxpts = 5e6))
  set.seed(20240101)
  cf <- confint(g, calpha = adjusted_calpha(abseps = 1e-7, maxpts = 5e6))
  res$dunnett <- list(contrast = names(s$test$coefficients), estimate = unname(s$test$coefficients),
                      p_adjusted = unname(s$test$pvalues), ci_lower = unname(cf$confint[, "lwr"]),
                      ci_upper = unname(cf$confint[, "upr"]), critical = attr(cf$confint, "calpha"))
  out[[sprintf("adas_locf_week%d", wk)]] <- res
}

# MMRM of CHG on observed records (DTYPE blank) at Weeks 8, 16, 24: TRTP * AVISIT + BASE * AVISIT + SITEGR1,
# unstructured (corSymm + varIdent), REML. emmeans mode = "satterthwaite" (numerical derivatives of gls's
# covariance parameters); LS means per arm per visit weighted by the frequencies of SITEGR1 in the data
# (SAS OM), BASE at its mean (cov.keep = character(0)); visit averages as the mean of the three visits' LS
# means. The frequencies are passed explicitly: for a gls fit emmeans' weights = "proportional" sums the
# varIdent weights instead of counting rows (0.0045 off here).
obs <- subset(adas, is.na(DTYPE) & AVISITN > 0)
obs$AVISIT <- factor(obs$AVISIT, levels = c("Week 8", "Week 16", "Week 24"))
ctl <- glsControl(opt = "optim", msMaxIter = 1000, msTol = 1e-12, tolerance = 1e-12, optimMethod = "BFGS")
gl <- gls(CHG ~ TRTP * AVISIT + BASE * AVISIT + SITEGR1, data = obs, method = "REML",
          correlation = corSymm(form = ~ as.integer(AVISIT) | USUBJID), weights = varIdent(form = ~ 1 | AVISIT),
          control = ctl)
site_freq <- as.numeric(table(obs$SITEGR1))
em <- emmeans(gl, ~ TRTP | AVISIT, weights = site_freq, mode = "satterthwaite", cov.keep = character(0))
ls <- summary(em, infer = TRUE)
ct <- summary(contrast(em, method = PAIRS, adjust = "none"), infer = TRUE)
emall <- emmeans(gl, ~ TRTP * AVISIT, weights = site_freq, mode = "satterthwaite", cov.keep = character(0))
avg <- lapply(seq_along(ARMS), function(i) { w <- rep(0, 9); w[i + 3 * (0:2)] <- 1 / 3; w })
names(avg) <- ARMS
av <- summary(contrast(emall, method = avg), infer = TRUE)
avd <- lapply(PAIRS, function(p) Reduce(`+`, Map(`*`, p, avg)))
avdiff <- summary(contrast(emall, method = avd), infer = TRUE)
out$adas_mmrm_us <- list(
  m2rll = -2 * as.numeric(logLik(gl)), n_obs = nrow(obs),
  lsmeans = list(visit = as.character(ls$AVISIT), arm = as.character(ls$TRTP), estimate = ls$emmean, se = ls$SE,
                 df = ls$df),
  differences = list(visit = as.character(ct$AVISIT), contrast = as.character(ct$contrast), estimate = ct$estimate,
                     se = ct$SE, df = ct$df, p_value = ct$p.value),
  averages = list(arm = as.character(av$contrast), estimate = av$estimate, se = av$SE, df = av$df),
  average_differences = list(contrast = as.character(avdiff$contrast), estimate = avdiff$estimate, se = avdiff$SE,
                             df = avdiff$df))

# The same fit with equal weights over the site groups (SAS LSMEANS without OM, as the CSR's PROC MIXED program and
# tests/studies/cdiscpilot01/adas declare): the LS means at each visit, their differences, and the averages over
# the visits (CSR Table 14-3.11 prints the averages). Estimates only: gls has no Kenward-Roger SEs in R.
eq <- emmeans(gl, ~ TRTP | AVISIT, weights = "equal", cov.keep = character(0))
lq <- summary(eq)
cq <- summary(contrast(eq, method = PAIRS, adjust = "none"))
eqall <- emmeans(gl, ~ TRTP * AVISIT, weights = "equal", cov.keep = character(0))
aq <- summary(contrast(eqall, method = avg))
adq <- summary(contrast(eqall, method = avd))
out$adas_mmrm_us_equal <- list(
  lsmeans = list(visit = as.character(lq$AVISIT), arm = as.character(lq$TRTP), estimate = lq$emmean, se = lq$SE),
  differences = list(visit = as.character(cq$AVISIT), contrast = as.character(cq$contrast), estimate = cq$estimate,
                     se = cq$SE),
  averages = list(arm = as.character(aq$contrast), estimate = aq$estimate, se = aq$SE),
  average_differences = list(contrast = as.character(adq$contrast), estimate = adq$estimate, se = adq$SE))

# Kenward-Roger: pbkrtest works on lmer fits, so it is checked on the compound-symmetry MMRM, which is the
# random-intercept model lmer(CHG ~ ... + (1 | USUBJID)) (same REML likelihood while the between-subject
# variance is positive); emmeans uses pbkrtest's adjusted covariance and df (lmer.df = "kenward-roger").
lc <- lmer(CHG ~ TRTP * AVISIT + BASE * AVISIT + SITEGR1 + (1 | USUBJID), data = obs, REML = TRUE,
           control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-4, rhoend = 2e-12, maxfun = 1e5)))
ek <- emmeans(lc, ~ TRTP | AVISIT, weights = "proportional", cov.keep = character(0))
lk <- summary(ek, infer = TRUE)
ck <- summary(contrast(ek, method = PAIRS, adjust = "none"), infer = TRUE)
out$adas_mmrm_cs_kr <- list(
  reml_criterion = REMLcrit(lc),
  lsmeans = list(visit = as.character(lk$AVISIT), arm = as.character(lk$TRTP), estimate = lk$emmean, se = lk$SE,
                 df = lk$df),
  differences = list(visit = as.character(ck$AVISIT), contrast = as.character(ck$contrast), estimate = ck$estimate,
                     se = ck$SE, df = ck$df, p_value = ck$p.value))

# ---- CIBIC+: ADCIBC, ANL01FL records (LOCF included) --------------------------------------------------------
cibc <- as.data.frame(read_xpt(file.path(DATA, "adcibc.xpt")))
cibc <- subset(cibc, EFFFL == "Y" & ITTFL == "Y" & ANL01FL == "Y")
cibc$TRTP <- factor(cibc$TRTP, levels = ARMS)
cibc$SITEGR1 <- factor(cibc$SITEGR1)
for (wk in c(8, 16, 24)) {
  d <- subset(cibc, AVISITN == wk)
  fit <- lm(AVAL ~ TRTP + SITEGR1, data = d)
  res <- arm_model(fit, lm(AVAL ~ TRTPN + SITEGR1, data = d), "TRTPN")
  # CMH of TRTP (Placebo, Low, High: table scores 1, 2, 3) x AVAL (scores = the ratings) by SITEGR1.
  # General association: mantelhaen.test; all three statistics: coin, whose asymptotic statistics use the
  # same conditional (permutation) covariance N^2/(N-1) as PROC FREQ: cmh_test (general association),
  # cmh_test with the ratings as scores of an ordered response (row mean scores), lbl_test (correlation).
  mh <- mantelhaen.test(d$TRTP, factor(d$AVAL), d$SITEGR1)
  y <- ordered(d$AVAL)
  sc <- list(y = sort(unique(d$AVAL)))
  cg <- cmh_test(factor(d$AVAL) ~ TRTP | SITEGR1, data = d)
  rm <- cmh_test(y ~ TRTP | SITEGR1, data = cbind(d, y = y), scores = sc)
  lb <- lbl_test(y ~ ordered(TRTP) | SITEGR1, data = cbind(d, y = y), scores = sc)
  res$cmh <- list(
    mantelhaen = list(statistic = unname(mh$statistic), df = unname(mh$parameter), p_value = mh$p.value),
    general_association = list(statistic = unname(statistic(cg)), df = unname(cg@statistic@df),
                               p_value = as.numeric(pvalue(cg))),
    row_mean_scores = list(statistic = unname(statistic(rm)), df = unname(rm@statistic@df),
                           p_value = as.numeric(pvalue(rm))),
    correlation = list(statistic = unname(statistic(lb))^2, df = 1, p_value = as.numeric(pvalue(lb))),
    counts = as.list(as.data.frame(table(TRTP = d$TRTP, AVAL = d$AVAL), stringsAsFactors = FALSE)))
  out[[sprintf("cibic_week%d", wk)]] <- res
}

# ---- Demographic and baseline characteristics, ITT (CSR Table 14-2.01): the arms compared -------------------------
# numeric: one-way ANOVA, anova(lm(x ~ TRT01P)); categorical: Pearson's chi-square without continuity correction,
# chisq.test(table(x, TRT01P), correct = FALSE) (R warns that some expected counts are small: the p-value is
# still Pearson's, as SAS PROC FREQ CHISQ prints it). Summary statistics per arm and overall for the table's cells.
adsl <- as.data.frame(read_xpt(file.path(DATA, "adsl.xpt")))
adsl <- subset(adsl, ITTFL == "Y")
adsl$TRT01P <- factor(adsl$TRT01P, levels = ARMS)
demog <- list()
for (v in c("AGE", "MMSETOT", "DURDIS", "EDUCLVL", "WEIGHTBL", "HEIGHTBL", "BMIBL")) {
  a <- anova(lm(adsl[[v]] ~ adsl$TRT01P))
  demog[[v]] <- list(statistic = a[["F value"]][1], num_df = a$Df[1], df = a$Df[2], p_value = a[["Pr(>F)"]][1])
}
for (v in c("AGEGR1", "SEX", "RACE", "ETHNIC", "DURDSGR1", "BMIBLGR1")) {
  t <- suppressWarnings(chisq.test(table(adsl[[v]], adsl$TRT01P), correct = FALSE))
  demog[[v]] <- list(statistic = unname(t$statistic), df = unname(t$parameter), p_value = t$p.value)
}
out$demographics_itt <- demog

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/cdiscpilot.json")
