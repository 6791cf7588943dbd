-- wrk script of benchmarks/api.py: one thread, many connections (wrk -t1 -cN).
-- With no argument it repeats the GET given on the command line; with a file of request bodies
-- (one JSON document per line) it POSTs each in turn. Past the last body it sends the last one
-- again: a duplicate tx is refused, so running out shows up as errors, never as speed.
local bodies, next_body, headers = {}, 0, {}
-- With LOAD_SERVERS ("host:port host:port"), thread i (wrk -tN) calls server i.
local servers, threads = {}, 0
for address in string.gmatch(os.getenv("LOAD_SERVERS") or "", "%S+") do servers[#servers + 1] = address end

function setup(thread)
  threads = threads + 1
  if #servers > 0 then
    local host, port = string.match(servers[(threads - 1) % #servers + 1], "^(.*):(%d+)$")
    thread.addr = wrk.lookup(host, port)[1]
  end
end

function init(args)
  if args[1] then
    for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  end
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
end

function request()
  if #bodies == 0 then return wrk.request() end
  next_body = math.min(next_body + 1, #bodies)
  return wrk.format("POST", nil, headers, bodies[next_body])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p95_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95)))
end
