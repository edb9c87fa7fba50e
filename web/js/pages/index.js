// Every page of the console, in navigation order. A page module exports a list of
// {route, title, nav, render(ctx)}; `nav` names the group it is listed under (absent
// for detail pages reached by links).
import overview from './overview.js';
import servers from './servers.js';
import things from './things.js';
import live from './live.js';
import rules from './rules.js';
import streams from './streams.js';
import lake from './lake.js';
import catalog from './catalog.js';
import jobs from './jobs.js';
import training from './training.js';
import serving from './serving.js';
import monitors from './monitors.js';

export const NAV_GROUPS = [
  { id: 'main', title: '' },
  { id: 'devices', title: 'Devices' },
  { id: 'ingest', title: 'Ingest' },
  { id: 'lake', title: 'Lake' },
  { id: 'ml', title: 'Forecasting' },
];

export const PAGES = [
  ...overview, ...servers, ...things, ...live, ...rules, ...streams, ...lake, ...catalog, ...jobs, ...training, ...serving, ...monitors,
];
