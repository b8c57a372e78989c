# Writes tests/reference/cgi_visits.sas7bdat: the example study's records in SAS format, for the
# .sas7bdat loader test (pyreadstat reads but cannot write this format).
# Run from the project root:  Rscript tests/reference/make_sas7bdat.R   (needs r-cran-haven)
library(haven)
d <- read.csv("example_study/data/cgi_visits.csv", stringsAsFactors = FALSE)
d$DOSE <- as.numeric(d$DOSE)
suppressWarnings(write_sas(d, "tests/reference/cgi_visits.sas7bdat"))
cat(nrow(d), "rows written\n")
