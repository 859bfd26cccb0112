@_exported import ForecastCore
@_exported import ForecastLayers
@_exported import ForecastData
