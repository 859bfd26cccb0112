import Forecast

// Choose OpenBLAS's kernel before anything runs: re-executes once with OPENBLAS_CORETYPE set
// when the CPU allows a faster kernel than OpenBLAS detects (a user's own setting wins).
BLASRuntime.reexecWithBestKernelIfNeeded()
ForecastCommand.main()
