@_exported import ForecastCore
@_exported import ForecastData
@_exported import ForecastLayers
@_exported import ForecastTraining
