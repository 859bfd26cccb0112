@_exported import ForecastCore
