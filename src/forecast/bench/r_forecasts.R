# Rolling-origin data and R baselines for scripts/bench-forecast.
#
#   Rscript r_forecasts.R OUT_DIR ORIGINS HORIZON
#
# Monthly series from R's `datasets` package (shipped by Debian's r-base-core):
# AirPassengers, nottem, UKDriverDeaths, co2. For origin k = 1..ORIGINS the
# series are cut at length - (ORIGINS - k + 1) * HORIZON:
#   OUT_DIR/train_k.json   DeepAR train channel: every series up to the origin,
#                          with cat = [series index] (JSON Lines, SageMaker format)
#   OUT_DIR/actual_k.json  the HORIZON points after the origin, one line per series
#   OUT_DIR/<method>_k.json forecasts of snaive, ets and auto.arima (forecast
#                          package defaults) in SageMaker batch-transform shape:
#                          {"mean": [..], "quantiles": {"0.1": [..], ..}}
# Quantiles come from the models' central prediction intervals: the L% interval's
# lower and upper bounds are the (1 - L/100)/2 and (1 + L/100)/2 quantiles, so
# levels 80, 60, 40, 20 give 0.1/0.9, 0.2/0.8, 0.3/0.7, 0.4/0.6; the 0.5 quantile
# is the point forecast (the mean, which is the median for these Gaussian-error
# forecasts; for multiplicative ETS models it is the mean of the simulated paths).
suppressPackageStartupMessages(library(forecast))

args <- commandArgs(trailingOnly = TRUE)
out_dir <- args[1]
origins <- as.integer(args[2])
horizon <- as.integer(args[3])

series <- list(AirPassengers = AirPassengers, nottem = nottem,
               UKDriverDeaths = UKDriverDeaths, co2 = co2)
levels <- c(80, 60, 40, 20)

num <- function(x) paste0("[", paste(sprintf("%.10g", as.numeric(x)), collapse = ", "), "]")
start_of <- function(y) {
  t <- tsp(y)[1]
  year <- floor(t + 1e-9)
  month <- round((t - year) * 12) + 1
  sprintf("%04d-%02d-01 00:00:00", year, month)
}
forecast_line <- function(f) {
  q <- list()
  for (i in seq_along(f$level)) {  # columns of lower/upper follow f$level (sorted)
    l <- f$level[i]
    q[[sprintf("%.1f", (1 - l / 100) / 2)]] <- f$lower[, i]
    q[[sprintf("%.1f", (1 + l / 100) / 2)]] <- f$upper[, i]
  }
  q[["0.5"]] <- f$mean
  keys <- sprintf("%.1f", sort(as.numeric(names(q))))
  parts <- sprintf("\"%s\": %s", keys, sapply(keys, function(k) num(q[[k]])))
  sprintf("{\"mean\": %s, \"quantiles\": {%s}}", num(f$mean), paste(parts, collapse = ", "))
}

for (k in seq_len(origins)) {
  lines <- list(train = character(), actual = character(),
                snaive = character(), ets = character(), auto.arima = character())
  for (i in seq_along(series)) {
    y <- series[[i]]
    n <- length(y) - (origins - k + 1) * horizon
    fit_y <- ts(as.numeric(y)[1:n], start = tsp(y)[1], frequency = frequency(y))
    lines$train <- c(lines$train, sprintf("{\"start\": \"%s\", \"target\": %s, \"cat\": [%d]}",
                                          start_of(y), num(fit_y), i - 1))
    lines$actual <- c(lines$actual, sprintf("{\"name\": \"%s\", \"target\": %s}",
                                            names(series)[i], num(as.numeric(y)[(n + 1):(n + horizon)])))
    lines$snaive <- c(lines$snaive, forecast_line(snaive(fit_y, h = horizon, level = levels)))
    lines$ets <- c(lines$ets, forecast_line(forecast(ets(fit_y), h = horizon, level = levels)))
    lines$auto.arima <- c(lines$auto.arima,
                          forecast_line(forecast(auto.arima(fit_y), h = horizon, level = levels)))
  }
  for (name in names(lines)) {
    writeLines(lines[[name]], file.path(out_dir, sprintf("%s_%d.json", name, k)))
  }
}
