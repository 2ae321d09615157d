/**
 * Calibration tools (browser-safe core: no vega, no Node modules):
 * ECE / MCE, top-label and classwise, reliability-diagram data, temperature
 * scaling. Diagram rendering: './diagram' (SVG string via vega-lite + vega,
 * works in browsers and Node) and './node' (PNG files via @resvg/resvg-js).
 */
export {binIndex, calibrationFromConfidences} from './binning';
export type {CalibrationResult, ReliabilityBin} from './binning';
export {calibration, classwiseCalibration, expectedCalibrationError, maximumCalibrationError, toProbabilityRows, topLabel} from './metrics';
export type {CalibrationOptions, ClasswiseCalibrationResult, ProbabilityRows} from './metrics';
export {fitTemperature} from './temperature_scaling';
export type {TemperatureScalingOptions, TemperatureScalingResult} from './temperature_scaling';
