// The readings the drift tests put in the lake (drift_loop.test.js, console_ml.test.js):
// three devices, hourly, from T0. For BASE_DAYS days each follows a daily cycle around
// its level; from then on (SHIFT_DAYS more) the level is 60 higher and the swing ±30
// instead of ±2, which a model trained on the first days forecasts badly. Deterministic.
'use strict';

const T0 = Date.UTC(2026, 0, 1);  // 2026-01-01 00:00 UTC
const DEVICES = ['sensor-1', 'sensor-2', 'sensor-3'];
const BASE_DAYS = 9;   // what the base model is trained on
const SHIFT_DAYS = 2;  // the newer days, after the world changed

// Device d's reading at hour h.
function pm25(d, h) {
  const shifted = h >= BASE_DAYS * 24;
  const level = 20 + 3 * d + (shifted ? 60 : 0);
  const swing = shifted ? 30 : 2;
  return Number((level + swing * Math.sin((2 * Math.PI * h) / 24) + ((h * 7 + d * 3) % 5) / 5).toFixed(2));
}

// "2026-01-09 12:00:00" for hour h (DeepAR's zone-less start).
const hourText = (h) => new Date(T0 + h * 3600e3).toISOString().replace('T', ' ').slice(0, 19);

// One lake object per day: every device's hourly readings of that day, as JSON Lines.
function dayObject(day) {
  const lines = [];
  for (let h = day * 24; h < (day + 1) * 24; h++) {
    DEVICES.forEach((device, d) => {
      lines.push(JSON.stringify({ device, ts: new Date(T0 + h * 3600e3).toISOString(), pm25: pm25(d, h) }));
    });
  }
  return { key: `readings/${hourText(day * 24).slice(0, 10)}.jsonl`, text: `${lines.join('\n')}\n` };
}

module.exports = { T0, DEVICES, BASE_DAYS, SHIFT_DAYS, pm25, hourText, dayObject };
