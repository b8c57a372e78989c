# Reference values for trialkit.stats.proportional_odds: MASS::polr, ordinal::clm, ordinal::nominal_test.
# Run from the project root:  Rscript tests/reference/ordinal.R
# Writes tests/reference/ordinal.json and the data it used: wine.csv, housing.csv (one row per cell, with Freq)
# and ordinal_sim.csv (simulated CGI-like data, seed 14).
# Both fits are pushed to tight convergence so that rtol 1e-6 compares methods, not optimiser stopping rules.
suppressMessages({library(MASS); library(ordinal)})
options(digits = 17)
num <- function(x) ifelse(is.na(x), "null", sprintf("%.17g", x))
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
named <- function(x) paste0("{", paste(sprintf('"%s": %s', names(x), num(x)), collapse = ", "), "}")

reference <- function(formula, data, nominal_terms) {
  p <- polr(formula, data = data, Hess = TRUE, control = list(reltol = 1e-15, maxit = 5000))
  c <- clm(formula, data = data, control = clm.control(gradTol = 1e-12, maxIter = 1000))
  sp <- summary(p)$coefficients                      # Value, Std. Error: coefficients then zeta
  sc <- summary(c)$coefficients                      # Estimate, Std. Error, z value, Pr(>|z|): zeta then beta
  beta <- names(coef(c)); beta <- beta[!(beta %in% names(c$alpha))]
  wald <- confint.default(c)[beta, , drop = FALSE]   # Wald CI (polr's and clm's confint() profile instead)
  nt <- nominal_test(do.call("clm", list(formula, data = data)))  # (its refits need the call to hold the objects)
  # all terms nominal at once: clm(y ~ 1, nominal = ~ terms) against the proportional-odds fit
  all_nominal <- clm(update(formula, . ~ 1), nominal = as.formula(paste("~", paste(nominal_terms, collapse = " + "))),
                     data = data, control = clm.control(gradTol = 1e-12, maxIter = 1000))
  lr_all <- 2 * (as.numeric(logLik(all_nominal)) - as.numeric(logLik(c)))
  df_all <- length(coef(all_nominal)) - length(coef(c))
  sprintf(paste0('{"polr": {"coef": %s, "se": %s, "zeta": %s, "zeta_se": %s, "loglik": %s},\n',
                 '   "clm": {"coef": %s, "se": %s, "z": %s, "p": %s, "ci_lower": %s, "ci_upper": %s, "zeta": %s, "zeta_se": %s, ',
                 '"loglik": %s, "aic": %s},\n',
                 '   "nominal_test": {"terms": [%s], "lrt": %s, "df": %s, "p": %s, "loglik": %s},\n',
                 '   "all_nominal": {"lrt": %s, "df": %d, "p": %s, "loglik": %s, "convergence_code": %d}}'),
          named(coef(p)), vec(sp[names(coef(p)), 2]), named(p$zeta), vec(sp[names(p$zeta), 2]), num(logLik(p)),
          named(sc[beta, 1]), vec(sc[beta, 2]), vec(sc[beta, 3]), vec(sc[beta, 4]), vec(wald[, 1]), vec(wald[, 2]),
          named(c$alpha), vec(sc[names(c$alpha), 2]), num(logLik(c)), num(AIC(c)),
          paste(sprintf('"%s"', rownames(nt)[-1]), collapse = ", "), vec(nt$LRT[-1]), vec(nt$Df[-1]),
          vec(nt[["Pr(>Chi)"]][-1]), vec(nt$logLik[-1]),
          num(lr_all), df_all, num(pchisq(lr_all, df_all, lower.tail = FALSE)), num(logLik(all_nominal)),
          all_nominal$convergence$code)             # -3: "not all thresholds are increasing: fit is invalid"
}

# 1. ordinal's wine data (Randall 1989): clm's and nominal_test's own example, 5 categories
data(wine)
write.csv(wine[, c("rating", "temp", "contact")], "tests/reference/wine.csv", row.names = FALSE)
wine_ref <- reference(rating ~ temp + contact, wine, c("temp", "contact"))

# 2. MASS's housing data: polr's own example (Sat ~ Infl + Type + Cont, weights = Freq), one row per resident
write.csv(transform(housing, Sat = as.integer(Sat)), "tests/reference/housing.csv", row.names = FALSE)  # Sat 1-3
hous <- housing[rep(seq_len(nrow(housing)), housing$Freq), c("Sat", "Infl", "Type", "Cont")]
housing_ref <- reference(Sat ~ Infl + Type + Cont, hous, c("Infl", "Type", "Cont"))

# 3. simulated CGI-S endpoint (1-7; category 1 never observed) by baseline category (a factor), arm and age (a slope)
set.seed(14)
n <- 400
sim <- data.frame(base = sample(3:6, n, replace = TRUE, prob = c(0.2, 0.35, 0.3, 0.15)),
                  arm = sample(c("PBO", "TRT"), n, replace = TRUE), age = round(runif(n, 8, 17)))
latent <- 0.9 * (sim$base - 4) - 0.7 * (sim$arm == "TRT") + 0.05 * (sim$age - 12) + rlogis(n)
sim$end <- as.integer(cut(latent, c(-Inf, -2.5, -1, 0.5, 2, 3.5, Inf))) + 1   # 2..7
sim$age[c(5, 17)] <- NA                                                    # two rows left out
write.csv(sim, "tests/reference/ordinal_sim.csv", row.names = FALSE)
cc <- sim[complete.cases(sim), ]
cc$end <- factor(cc$end); cc$base <- factor(cc$base); cc$arm <- factor(cc$arm)
sim_ref <- reference(end ~ base + arm + age, cc, c("base", "arm", "age"))

writeLines(paste0('{"wine":\n  ', wine_ref, ',\n "housing":\n  ', housing_ref, ',\n "sim":\n  ', sim_ref, "\n}"),
           "tests/reference/ordinal.json")
