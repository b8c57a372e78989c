# Reference values for trialkit.stats.lmm: lme4 + lmerTest (Satterthwaite) and nlme.
# Run from the project root:  Rscript tests/reference/lmm.R   -> tests/reference/lmm.json
# Needs r-cran-lme4 r-cran-lmertest r-cran-nlme (Debian). Convergence tightened so the values sit at the optimum.
suppressMessages({library(lme4); library(lmerTest); library(nlme)})
options(digits = 17)
num <- function(x) if (is.na(x)) "null" else sprintf("%.17g", x)
vec <- function(x) paste0("[", paste(sapply(x, num), collapse = ", "), "]")
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-4, rhoend = 2e-12, maxfun = 1e5))

sleep <- read.csv("../shared/data/mixed_model_refdata/sleepstudy.csv")
orth <- read.csv("../shared/data/mixed_model_refdata/Orthodont.csv")
orth$Sex <- factor(orth$Sex, levels = c("Male", "Female"))

lmer_json <- function(fit) {
  s <- summary(fit)$coefficients   # lmerTest: Satterthwaite df
  vc <- as.data.frame(VarCorr(fit))
  G <- VarCorr(fit)[[1]]
  paste0("{",
    '"terms": [', paste(sprintf('"%s"', rownames(s)), collapse = ", "), "], ",
    '"estimate": ', vec(s[, "Estimate"]), ", ",
    '"se": ', vec(s[, "Std. Error"]), ", ",
    '"df": ', vec(s[, "df"]), ", ",
    '"t": ', vec(s[, "t value"]), ", ",
    '"p": ', vec(s[, "Pr(>|t|)"]), ", ",
    '"G": ', vec(as.vector(G)), ", ",
    '"sigma2": ', num(sigma(fit)^2), ", ",
    '"reml_criterion": ', num(REMLcrit(fit)), ", ",
    '"loglik": ', num(as.numeric(logLik(fit))), "}")
}

# lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = TRUE)
ri <- lmer(Reaction ~ Days + (1 | Subject), data = sleep, control = ctrl)
# lmer(Reaction ~ Days + (1 + Days | Subject), sleepstudy, REML = TRUE)
rs <- lmer(Reaction ~ Days + (1 + Days | Subject), data = sleep, control = ctrl)
# lmer(Reaction ~ Days + (1 | Subject), REML = FALSE)
ri_ml <- lmer(Reaction ~ Days + (1 | Subject), data = sleep, REML = FALSE, control = ctrl)
# nlme::lme(distance ~ age + Sex, random = ~ 1 | Subject, data = Orthodont, method = "REML")
ol <- lme(distance ~ age + Sex, random = ~ 1 | Subject, data = orth, method = "REML",
          control = lmeControl(opt = "optim", msMaxIter = 1000, tolerance = 1e-12))
ot <- summary(ol)$tTable
# the same model in lmerTest, for Satterthwaite df (nlme reports between-within df)
ol4 <- lmer(distance ~ age + Sex + (1 | Subject), data = orth, control = ctrl)

out <- c(
  sprintf('"sleep_intercept": %s', lmer_json(ri)),
  sprintf('"sleep_slope": %s', lmer_json(rs)),
  sprintf('"sleep_intercept_ml": %s', lmer_json(ri_ml)),
  sprintf('"orthodont_nlme": {"terms": ["(Intercept)", "age", "SexFemale"], "estimate": %s, "se": %s, "df": %s, "tau2": %s, "sigma2": %s, "loglik": %s}',
          vec(ot[, "Value"]), vec(ot[, "Std.Error"]), vec(ot[, "DF"]),
          num(as.numeric(getVarCov(ol))), num(ol$sigma^2), num(as.numeric(logLik(ol)))),
  sprintf('"orthodont_lmertest": %s', lmer_json(ol4))
)
writeLines(paste0("{\n  ", paste(out, collapse = ",\n  "), "\n}"), "tests/reference/lmm.json")
