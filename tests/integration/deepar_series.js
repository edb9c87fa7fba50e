// What the training tests (training.test.js, sagemaker_training_api.test.js) train on:
// hourly series with a daily cycle, deterministic, and DeepAR hyperparameters small
// enough to train in a second or two.
'use strict';

const PREDICTION_LENGTH = 12;
const TINY = { time_freq: 'H', prediction_length: String(PREDICTION_LENGTH), context_length: '24',
               epochs: '3', num_cells: '8', num_layers: '1', mini_batch_size: '16' };

// `count` series of `length` hours each, from 2024-01-01.
function syntheticSeries(count, length) {
  const series = [];
  for (let s = 0; s < count; s++) {
    const target = [];
    for (let t = 0; t < length; t++) {
      target.push(Number((10 + 3 * s + 4 * Math.sin((2 * Math.PI * t) / 24) + ((t * 7 + s) % 5) / 10).toFixed(3)));
    }
    series.push({ start: '2024-01-01 00:00:00', target });
  }
  return series;
}

module.exports = { PREDICTION_LENGTH, TINY, syntheticSeries };
