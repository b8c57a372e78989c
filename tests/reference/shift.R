# Reference values for trialkit.stats.shift_table: Stuart-Maxwell (coin::mh_test) and Bowker (mcnemar.test).
# Run from the project root:  Rscript tests/reference/shift.R   -> tests/reference/shift.json
suppressMessages(library(coin))
options(digits = 17)
num <- function(x) if (is.na(x)) "null" else sprintf("%.17g", x)
mat <- function(m) paste0("[", paste(apply(m, 1, function(r) paste0("[", paste(r, collapse = ", "), "]")), collapse = ", "), "]")
sm <- function(tab) {  # coin: asymptotic marginal homogeneity test = Stuart-Maxwell
  r <- mh_test(as.table(tab))
  sprintf('{"statistic": %s, "df": %s, "p_value": %s}', num(statistic(r)), num(r@statistic@df), num(pvalue(r)))
}
bowker <- function(tab) {  # mcnemar.test on a k x k table is Bowker's test of symmetry
  r <- mcnemar.test(tab)
  sprintf('{"statistic": %s, "df": %s, "p_value": %s}', num(r$statistic), num(r$parameter), num(r$p.value))
}
case <- function(name, tab, with_bowker = TRUE) {
  sprintf('"%s": {"table": %s, "stuart_maxwell": %s, "bowker": %s}', name, mat(tab), sm(tab),
          if (with_bowker) bowker(tab) else "null")
}
# Siskel and Ebert's ratings (Agresti 2002, Table 10.5; coin's mh_test example): rows Siskel, columns Ebert
siskel <- matrix(c(24, 8, 13, 8, 13, 11, 10, 9, 64), nrow = 3)
# a dense 4 x 4 table: every pair of categories has subjects moving between them
dense <- matrix(c(20, 6, 3, 1, 9, 25, 7, 2, 4, 11, 30, 5, 2, 3, 12, 18), nrow = 4, byrow = TRUE)
# changes only between categories 1 and 2, and 4 and 5: two groups of linked categories (category 3 unchanged)
split <- matrix(c(5, 4, 0, 0, 0,  1, 6, 0, 0, 0,  0, 0, 7, 0, 0,  0, 0, 0, 3, 6,  0, 0, 0, 2, 4), nrow = 5, byrow = TRUE)
# the example study's CGI-S at Baseline (rows) and Week 5 (columns), categories 3..7 seen; R's Bowker is NaN here
visits <- read.csv("example_study/data/cgi_visits.csv")
cgis <- visits[visits$PARAM == "CGI-S", ]
subj <- unique(cgis$SUBJID)
base <- cgis$AVAL[cgis$VISIT == "Baseline"][match(subj, cgis$SUBJID[cgis$VISIT == "Baseline"])]
end <- cgis$AVAL[cgis$VISIT == "Week 5"][match(subj, cgis$SUBJID[cgis$VISIT == "Week 5"])]
ok <- !is.na(base) & !is.na(end)
moved <- sort(unique(c(base[ok & base != end], end[ok & base != end])))
example <- table(factor(base[ok], levels = moved), factor(end[ok], levels = moved))  # categories where someone moved
out <- c(case("siskel_ebert", siskel), case("dense", dense), case("split", split, with_bowker = FALSE),
         sprintf('"example_cgis": {"n": %d, "moved": [%s], "stuart_maxwell": %s}', sum(ok), paste(moved, collapse = ", "),
                 sm(example)))
writeLines(paste0("{\n  ", paste(out, collapse = ",\n  "), "\n}"), "tests/reference/shift.json")
