-- wrk script of scripts/bench-serving: POSTs one DeepAR request body to an endpoint's
-- invocations URL and prints one JSON line with wrk's figures and a count per HTTP status.
--
--   WRK_BODY=request.json WRK_TOKEN=... wrk -t2 -c8 -d20s --latency -s bench/serving_wrk.lua \
--       http://127.0.0.1:PORT/endpoints/NAME/invocations
--
-- wrk is closed-loop: each connection sends its next request when the answer to the last
-- one arrived, so latency is measured at the rate the server sustains (no fixed request
-- schedule, hence no coordinated omission to correct). Latencies include every answer,
-- 503s too; the status counts say how many there were.

local function read_all(path)
  local f = assert(io.open(path, "rb"), "cannot open WRK_BODY " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.body = read_all(os.getenv("WRK_BODY"))
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("WRK_TOKEN") or "")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%s":%d', status, n)) end
  local e = summary.errors
  io.write(string.format(
      'WRK_JSON {"duration_us":%d,"requests":%d,"bytes":%d,"requests_per_s":%.2f,' ..
      '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,' ..
      '"p99":%d,"p99_9":%d},"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"statuses":{%s}}\n',
      summary.duration, summary.requests, summary.bytes,
      summary.requests / (summary.duration / 1e6),
      latency.min, latency.mean, latency.stdev, latency.max, latency:percentile(50),
      latency:percentile(75), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), e.connect, e.read, e.write, e.status, e.timeout,
      table.concat(parts, ",")))
end
