# Reference values for ancova() with interactions, on the CDISC pilot's ADAS-Cog(11) change at Week 24
# (LOCF records of the efficacy set, as tests/reference/cdiscpilot.R): LS means and differences of an ANCOVA
# with treatment x site group and with treatment x baseline, and the dose response of the same models with the
# dose (TRTPN) in place of treatment, as emmeans::emtrends (the slope averaged over the reference grid with the
# analysis's weights, covariates at their mean), with proportional (SAS LSMEANS / OM) and equal weights.
# Run from the project root:  Rscript tests/reference/ancova_interactions.R  -> tests/reference/ancova_interactions.json
# Reads ../shared/data/cdiscpilot01 (never copied). Needs r-cran-emmeans r-cran-jsonlite.
suppressMessages({library(emmeans); library(jsonlite)})
DATA <- "../shared/data/cdiscpilot01"
ARMS <- c("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")
PAIRS <- list("Xanomeline Low Dose - Placebo" = c(-1, 1, 0), "Xanomeline High Dose - Placebo" = c(-1, 0, 1),
              "Xanomeline High Dose - Xanomeline Low Dose" = c(0, -1, 1))
adas <- read.csv(file.path(DATA, "adadas_actot_tdf.csv"), na.strings = "", stringsAsFactors = FALSE)
adas <- subset(adas, EFFFL == "Y" & ITTFL == "Y" & PARAMCD == "ACTOT" & ANL01FL == "Y" & AVISITN == 24)
adas$TRTP <- factor(adas$TRTP, levels = ARMS)
adas$SITEGR1 <- factor(adas$SITEGR1)

one <- function(fit, dose_fit, weights) {
  lsm <- emmeans(fit, ~ TRTP, weights = weights)
  ls <- summary(lsm, infer = TRUE)
  ct <- summary(contrast(lsm, method = PAIRS, adjust = "none"), infer = TRUE)
  tr <- summary(emtrends(dose_fit, ~ 1, var = "TRTPN", weights = weights), infer = TRUE)
  list(lsmeans = list(arm = as.character(ls$TRTP), estimate = ls$emmean, se = ls$SE, df = ls$df,
                      ci_lower = ls$lower.CL, ci_upper = ls$upper.CL, statistic = ls$t.ratio, p_value = ls$p.value),
       differences = list(contrast = as.character(ct$contrast), estimate = ct$estimate, se = ct$SE, df = ct$df,
                          ci_lower = ct$lower.CL, ci_upper = ct$upper.CL, statistic = ct$t.ratio, p_value = ct$p.value),
       dose = list(estimate = tr$TRTPN.trend, se = tr$SE, df = tr$df, ci_lower = tr$lower.CL, ci_upper = tr$upper.CL,
                   statistic = tr$t.ratio, p_value = tr$p.value))
}

out <- list()
by_site <- lm(CHG ~ TRTP * SITEGR1 + BASE, data = adas)
by_site_dose <- lm(CHG ~ TRTPN * SITEGR1 + BASE, data = adas)
by_base <- lm(CHG ~ TRTP * BASE + SITEGR1, data = adas)
by_base_dose <- lm(CHG ~ TRTPN * BASE + SITEGR1, data = adas)
stopifnot(!anyNA(coef(by_site)), !anyNA(coef(by_site_dose)), !anyNA(coef(by_base)), !anyNA(coef(by_base_dose)))
for (w in c("proportional", "equal")) {
  out[[paste0("arm_x_site_", w)]] <- one(by_site, by_site_dose, w)
  out[[paste0("arm_x_base_", w)]] <- one(by_base, by_base_dose, w)
}
# for scale: the dose coefficient alone, i.e. the slope at the reference site / at a baseline of 0
out$dose_coefficient <- list(arm_x_site = unname(coef(by_site_dose)["TRTPN"]),
                             arm_x_base = unname(coef(by_base_dose)["TRTPN"]))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/ancova_interactions.json")
