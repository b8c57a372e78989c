# Reference values for the ordinal analyses that `trialkit run example_study` adds (analyses ordinal, shift,
# friedman) and for the statistics pingouin adds to its paired tests, on the example's own data.
# Run from the project root:  Rscript tests/reference/example_ordinal.R  -> tests/reference/example_ordinal.json
# Needs r-cran-mass r-cran-ordinal r-cran-coin r-cran-jsonlite (Debian).
#
# ordinal: per measure, the Week 5 category ~ baseline category as a score (all subjects) and ~ TIER + baseline
#   (TIER a factor, level 1 the reference): MASS::polr and ordinal::clm; Wald CIs (confint.default); the
#   proportional-odds tests of ordinal::nominal_test, with whether the nominal fit's thresholds increase at
#   every observed value of the term (clm checks a numeric term only at 0: getThetamat drops it).
# shift: Baseline x Week 5 counts over categories 1-7; Stuart-Maxwell = coin::mh_test on the categories in
#   which someone moved; Bowker by its formula with SAS's df (every pair of categories seen at either visit):
#   mcnemar.test returns NaN when a pair of categories has nobody moving between them.
# friedman: friedman.test on the subjects with a value at all six visits; Kendall's W = Q / (n (k - 1)).
# paired: Week 5 vs Baseline pairs: BF10, power (paired_effects_lib.R), rank-biserial and CLES.
suppressMessages({library(MASS); library(ordinal); library(coin); library(jsonlite)})
source("tests/reference/paired_effects_lib.R")

rec <- read.csv("example_study/data/cgi_visits.csv", stringsAsFactors = FALSE)
subj <- read.csv("example_study/data/subjects.csv", stringsAsFactors = FALSE)
rec <- rec[!is.na(rec$AVAL), ]
rec$TIER <- as.character(subj$TIER[match(rec$SUBJID, subj$SUBJID)])
visits <- c("Baseline", "Week 1", "Week 2", "Week 3", "Week 4", "Week 5")
tight <- clm.control(gradTol = 1e-12, maxIter = 1000)

# thresholds theta_j + z' gamma_j at each observed row z of the nominal terms (clm's sign.nominal "positive")
increasing_at_observed <- function(fit, data, terms) {
  if (is.null(fit) || fit$convergence$code < 0) return(FALSE)
  z <- model.matrix(as.formula(paste("~", paste(terms, collapse = " + "))), data)
  a <- coef(fit)[seq_len(ncol(z) * (nlevels(data$end) - 1))]
  gamma <- matrix(a, ncol = ncol(z))  # rows: thresholds; columns: (Intercept), then the terms' columns
  cuts <- unique(z) %*% t(gamma)
  all(apply(cuts, 1, function(th) all(diff(th) > 0)))
}

ordinal_case <- function(d, formula, terms) {
  d$end <- factor(d$end)
  c <- clm(formula, data = d, control = tight)
  sc <- summary(c)$coefficients
  beta <- setdiff(names(coef(c)), names(c$alpha))
  # polr's own start (a binary glm) fails on the TIER model ("initial value in 'vmmin' is not finite")
  p <- polr(formula, data = d, Hess = TRUE, start = c(coef(c)[beta], c$alpha),
            control = list(reltol = 1e-15, maxit = 5000))
  wald <- confint.default(c)[beta, , drop = FALSE]
  nt <- nominal_test(do.call("clm", list(formula, data = d)))
  tests <- list()
  for (term in c("(all terms)", terms)) {
    nominal <- if (term == "(all terms)") terms else term
    kept <- setdiff(terms, nominal)
    fit <- tryCatch(clm(as.formula(paste("end ~", if (length(kept)) paste(kept, collapse = " + ") else "1")),
                        nominal = as.formula(paste("~", paste(nominal, collapse = " + "))), data = d,
                        control = tight), error = function(e) NULL)
    lr <- if (term == "(all terms)") {
      if (is.null(fit)) NA else 2 * (as.numeric(logLik(fit)) - as.numeric(logLik(c)))
    } else nt[term, "LRT"]
    tests[[term]] <- list(lrt = lr, df = if (is.null(fit)) NA else length(coef(fit)) - length(coef(c)),
                          p = if (is.na(lr)) NA else pchisq(lr, length(coef(fit)) - length(coef(c)), lower.tail = FALSE),
                          clm_code = if (is.null(fit)) NA else fit$convergence$code,
                          valid_at_observed = increasing_at_observed(fit, d, nominal))
  }
  list(n = nrow(d), polr = list(coef = as.list(coef(p)), zeta = as.list(p$zeta), loglik = as.numeric(logLik(p))),
       clm = list(terms = I(beta), estimate = I(unname(sc[beta, 1])), se = I(unname(sc[beta, 2])),
                  z = I(unname(sc[beta, 3])), p = I(unname(sc[beta, 4])), ci_lower = I(unname(wald[, 1])),
                  ci_upper = I(unname(wald[, 2])),
                  zeta = as.list(c$alpha), zeta_se = as.list(sc[names(c$alpha), 2]), loglik = as.numeric(logLik(c))),
       po_tests = tests)
}

bowker <- function(tab) {  # SAS PROC FREQ AGREE: pairs of seen categories; a pair nobody moved between adds 0
  seen <- which(rowSums(tab) + colSums(tab) > 0)
  tab <- tab[seen, seen]
  pairs <- which(upper.tri(tab), arr.ind = TRUE)
  both <- tab[pairs] + t(tab)[pairs]
  stat <- sum(ifelse(both > 0, (tab[pairs] - t(tab)[pairs])^2 / both, 0))
  list(statistic = stat, df = nrow(pairs), p_value = pchisq(stat, nrow(pairs), lower.tail = FALSE))
}

shift_case <- function(base, end) {
  tab <- table(factor(base, levels = 1:7), factor(end, levels = 1:7))
  moved <- sort(unique(c(base[base != end], end[base != end])))
  changed <- table(factor(base, levels = moved), factor(end, levels = moved))
  sm <- mh_test(changed)
  list(n = length(base), table = unname(unclass(tab)),
       stuart_maxwell = list(statistic = unname(statistic(sm)), df = sm@statistic@df, p_value = pvalue(sm)),
       bowker = bowker(tab))
}

friedman_case <- function(d) {
  wide <- reshape(d[, c("SUBJID", "VISIT", "AVAL")], idvar = "SUBJID", timevar = "VISIT", direction = "wide")
  m <- as.matrix(wide[, paste0("AVAL.", visits)])
  complete <- m[complete.cases(m), ]
  f <- friedman.test(complete)
  list(n = nrow(complete), n_excluded = nrow(m) - nrow(complete), statistic = unname(f$statistic),
       df = unname(f$parameter), p_value = f$p.value, kendall_w = unname(kendall_w(f, complete)))
}

paired_case <- function(base, end) {
  c(fromJSON(ttest_case(end, base)), fromJSON(wilcox_case(end, base)))
}

out <- list()
for (m in c("CGI-S", "CGI-I")) {
  d <- rec[rec$PARAM == m, ]
  b <- d[d$VISIT == "Baseline", ]; e <- d[d$VISIT == "Week 5", ]
  pairs <- merge(b[, c("SUBJID", "AVAL", "TIER")], e[, c("SUBJID", "AVAL")], by = "SUBJID", suffixes = c(".b", ".e"))
  pairs <- data.frame(subject = pairs$SUBJID, base = pairs$AVAL.b, end = pairs$AVAL.e, TIER = factor(pairs$TIER))
  res <- list(ordinal = list(all = ordinal_case(pairs, end ~ base, "base"),
                             TIER = ordinal_case(pairs, end ~ TIER + base, c("TIER", "base"))))
  res$ordinal$TIER$n_by_level <- as.list(table(pairs$TIER))
  groups <- list(all = rep(TRUE, nrow(pairs)))
  for (t in sort(unique(as.character(pairs$TIER)))) groups[[t]] <- pairs$TIER == t
  for (g in names(groups)) {
    keep <- groups[[g]]
    res$shift[[g]] <- shift_case(pairs$base[keep], pairs$end[keep])
    res$friedman[[g]] <- friedman_case(if (g == "all") d else d[d$TIER == g, ])
    res$paired[[g]] <- paired_case(pairs$base[keep], pairs$end[keep])
  }
  out[[m]] <- res
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"), "tests/reference/example_ordinal.json")
