-- wrk script: replays the requests of a file, one per line:
--   METHOD<TAB>PATH<TAB>TOKEN[<TAB>JSON BODY[<TAB>IDEMPOTENCY KEY]]   (an empty token: no Authorization)
--   wrk -t2 -c32 -d15s -s bench/wrk/requests.lua http://127.0.0.1:8801 -- requests.tsv 2
-- Thread k of n takes lines k, k+n, k+2n, ... so that no two threads send the same line (a vote is cast
-- once per voter while the file lasts), and cycles through them. done() prints one JSON line for
-- bench/compare.py: requests, seconds, non-2xx answers, socket errors, latency quantiles in microseconds.

local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local path, threads = args[1], tonumber(args[2])
  reqs, idx = {}, 0
  local n = 0
  for line in io.lines(path) do
    if n % threads == tid then
      local f = {}
      for field in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = field end
      local method, target, body, key = f[1], f[2], f[4], f[5]
      local headers = {}
      if f[3] ~= "" then headers["Authorization"] = "Bearer " .. f[3] end
      if body == nil or body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      if key ~= nil and key ~= "" then headers["Idempotency-Key"] = key end
      reqs[#reqs + 1] = wrk.format(method, target, headers, body)
    end
    n = n + 1
  end
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50":%d,"p95":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
