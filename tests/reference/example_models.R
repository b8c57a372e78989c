# Reference values for the LMM and MMRM that `trialkit run example_study` fits.
# Run from the project root:  Rscript tests/reference/example_models.R  -> tests/reference/example_models.json
# Needs r-cran-lme4 r-cran-lmertest r-cran-nlme r-cran-emmeans (Debian).
suppressMessages({library(lme4); library(lmerTest); library(nlme); library(emmeans)})
num <- function(x) if (is.na(x)) "null" else sprintf("%.17g", x)
vec <- function(x) paste0("[", paste(sapply(x, num), collapse = ", "), "]")
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-4, rhoend = 2e-12, maxfun = 1e5))

rec <- read.csv("example_study/data/cgi_visits.csv", stringsAsFactors = FALSE)
subj <- read.csv("example_study/data/subjects.csv", stringsAsFactors = FALSE)
visits <- c("Baseline", "Week 1", "Week 2", "Week 3", "Week 4", "Week 5")
rec$visit <- factor(rec$VISIT, levels = visits)
rec$subject <- factor(rec$SUBJID)
rec$TIER <- factor(subj$TIER[match(rec$SUBJID, subj$SUBJID)])

res <- c()
for (m in c("CGI-S", "CGI-I")) {
  d <- rec[rec$PARAM == m, ]
  # lmer(value ~ visit + (1 | subject)); Week 5 - Baseline = the visitWeek 5 coefficient (lmerTest Satterthwaite)
  f <- lmer(AVAL ~ visit + (1 | subject), data = d, control = ctrl)
  co <- summary(f)$coefficients["visitWeek 5", ]
  # lmer(value ~ visit * TIER + (1 | subject)); emmeans contrast Week 5 - Baseline within TIER (Satterthwaite)
  g <- lmer(AVAL ~ visit * TIER + (1 | subject), data = d, control = ctrl)
  em <- summary(contrast(emmeans(g, ~ visit | TIER, lmer.df = "satterthwaite"),
                         list(w5 = c(-1, 0, 0, 0, 0, 1))), infer = TRUE)
  an <- anova(g, type = 3)["visit:TIER", ]  # lmerTest, Satterthwaite
  # MMRM: gls(change ~ base + visit, corSymm + varIdent, REML) = unstructured covariance
  base <- d[d$visit == "Baseline", c("SUBJID", "AVAL")]
  ch <- d[d$visit != "Baseline", ]
  ch$base <- base$AVAL[match(ch$SUBJID, base$SUBJID)]
  ch <- ch[!is.na(ch$base), ]
  ch$visit <- droplevels(ch$visit)
  ch$change <- ch$AVAL - ch$base
  gl <- gls(change ~ base + visit, data = ch, method = "REML",
            correlation = corSymm(form = ~ as.integer(visit) | subject), weights = varIdent(form = ~ 1 | visit),
            control = glsControl(opt = "optim", msMaxIter = 1000, msTol = 1e-12, tolerance = 1e-12))
  # LS means at the mean baseline, as SAS LSMEANS (and trialkit). emmeans by default treats a covariate
  # with two distinct values (baseline CGI-I is 3 or 4 here) as a factor and averages over them;
  # cov.keep = character(0) makes it use the mean. Its gls df are an approximation ("appx-satterthwaite").
  lm <- summary(emmeans(gl, ~ visit, mode = "satterthwaite", cov.keep = character(0)))
  res <- c(res, sprintf('"%s": {"lmm_w5": {"estimate": %s, "se": %s, "df": %s, "p": %s}, "lmm_tier_w5": {"estimate": %s, "se": %s, "df": %s, "p": %s}, "lmm_interaction": {"F": %s, "num_df": %s, "den_df": %s, "p": %s}, "mmrm_lsmeans": {"estimate": %s, "se": %s, "df": %s}, "mmrm_m2rll": %s}',
    m, num(co["Estimate"]), num(co["Std. Error"]), num(co["df"]), num(co["Pr(>|t|)"]),
    vec(em$estimate), vec(em$SE), vec(em$df), vec(em$p.value),
    num(an[["F value"]]), num(an[["NumDF"]]), num(an[["DenDF"]]), num(an[["Pr(>F)"]]),
    vec(lm$emmean), vec(lm$SE), vec(lm$df), num(-2 * as.numeric(logLik(gl)))))
}
writeLines(paste0("{\n  ", paste(res, collapse = ",\n  "), "\n}"), "tests/reference/example_models.json")
