# Reference values for trialkit.stats.cmh (and the stratified test of responder_by_arm).
# Run from the project root:  Rscript tests/reference/cmh.R  -> tests/reference/cmh.json
# Needs r-cran-vcdextra r-cran-jsonlite (Debian).
suppressMessages({library(vcdExtra); library(jsonlite)})
out <- list()
# A 3 (arm) x 4 (ordinal response, scored 1, 2, 4, 7) x 3 (stratum) table with every margin positive in
# every stratum (vcdExtra tests each stratum before pooling). Counts as arm-major, then response, per stratum.
counts <- c(8, 6, 3, 1,  5, 7, 4, 2,  2, 5, 7, 4,
            6, 5, 2, 2,  4, 6, 5, 1,  3, 3, 6, 5,
            9, 4, 4, 1,  6, 5, 5, 3,  2, 6, 6, 6)
tab <- array(0, c(3, 4, 3), dimnames = list(arm = c("A", "B", "C"), y = c("1", "2", "4", "7"), s = c("s1", "s2", "s3")))
k <- 0
for (h in 1:3) for (i in 1:3) for (j in 1:4) { k <- k + 1; tab[i, j, h] <- counts[k] }
out$counts <- counts
types <- c("cor", "rmeans", "general")
tbl <- function(x) list(statistic = unname(x[types, "Chisq"]), df = unname(x[types, "Df"]), p_value = unname(x[types, "Prob"]))
# table scores: rows 1, 2, 3; columns the numeric levels
out$table <- tbl(CMHtest(tab, rscores = 1:3, cscores = c(1, 2, 4, 7), overall = TRUE)$ALL$table)
# vcdExtra's "midrank" is SAS's modified ridit: midrank / (N_h + 1), within each stratum
out$modridit <- tbl(CMHtest(tab, rscores = "midrank", cscores = "midrank", overall = TRUE)$ALL$table)
# rank and ridit scores within each stratum: vcdExtra's per-stratum pieces (CMHtest2) with those scores,
# pooled by its CMHtest3
pooled <- function(score) {
  per <- lapply(1:3, function(h) {
    x <- tab[, , h]
    mid <- function(n) cumsum(n) - n + (n + 1) / 2
    f <- if (score == "rank") function(n) mid(n) else function(n) mid(n) / sum(n)
    vcdExtra:::CMHtest2(x, rscores = f(rowSums(x)), cscores = f(colSums(x)), types = types, details = TRUE)
  })
  tbl(vcdExtra:::CMHtest3(per, types = types)$table)
}
out$rank <- pooled("rank"); out$ridit <- pooled("ridit")
# the general association is also mantelhaen.test's generalised statistic
mh <- mantelhaen.test(tab)
out$mantelhaen <- list(statistic = unname(mh$statistic), df = unname(mh$parameter), p_value = mh$p.value)
# one stratum: no stratification
out$unstratified <- tbl(CMHtest(tab[, , 1], rscores = 1:3, cscores = c(1, 2, 4, 7))$table)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/cmh.json")
