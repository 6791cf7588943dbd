-- wrk script of benchmarks/load.py: one thread, N connections (the users), the realistic mix.
-- With LOAD_SERVERS ("host:port host:port", load.py --servers 2), thread i (wrk -t2) calls
-- server i and reads args[i]: each server has its own people signed in.
-- args[1] is a file of requests, one a line: slot \t method \t path \t headers \t body, headers
-- joined by \031 ("Name: value"). Slots: read, session, comment, version. Of every 20 requests
-- 17 are reads, then a session comment, a pre-signed comment and a pre-signed registration; a
-- pre-signed envelope is sent once, and when they run out a session comment takes its place.
local pools = {read = {}, session = {}, comment = {}, version = {}}
local next_of = {read = 0, session = 0, comment = 0, version = 0}
local order = {}
for i = 1, 17 do order[i] = "read" end
order[18], order[19], order[20] = "session", "comment", "version"
local n = 0
sent = {read = 0, session = 0, comment = 0, version = 0}
bad = {}
answered = 0

local function split(text, sep)
  local parts, start = {}, 1
  while true do
    local at = string.find(text, sep, start, true)
    if not at then parts[#parts + 1] = string.sub(text, start); return parts end
    parts[#parts + 1] = string.sub(text, start, at - 1)
    start = at + #sep
  end
end

function init(args)
  for line in io.lines(args[server or 1]) do
    local f = split(line, "\t")
    local headers = {}
    for _, header in ipairs(split(f[4], "\031")) do
      local name, value = string.match(header, "^([^:]+): (.*)$")
      if name then headers[name] = value end
    end
    local pool = pools[f[1]]
    pool[#pool + 1] = wrk.format(f[2], f[3], headers, f[5] ~= "" and f[5] or nil)
  end
end

function request()
  n = n + 1
  local slot = order[(n - 1) % 20 + 1]
  local pool = pools[slot]
  if slot == "comment" or slot == "version" then
    if next_of[slot] >= #pool then slot, pool = "session", pools.session
    else next_of[slot] = next_of[slot] + 1; sent[slot] = sent[slot] + 1; return pool[next_of[slot]] end
  end
  next_of[slot] = next_of[slot] % #pool + 1
  sent[slot] = sent[slot] + 1
  return pool[next_of[slot]]
end

function response(status, headers, body)
  answered = answered + 1
  if status < 200 or status >= 300 then  -- a redirect (to the sign-in page) is an error too
    bad[status] = (bad[status] or 0) + 1
    if not bad.first then bad.first = string.gsub(string.sub(body or "", 1, 200), '[%c"\\]', " ") end
  end
end

local threads = {}
local servers = {}
for address in string.gmatch(os.getenv("LOAD_SERVERS") or "", "%S+") do servers[#servers + 1] = address end

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("server", #threads)
  if #servers > 0 then
    local host, port = string.match(servers[(#threads - 1) % #servers + 1], "^(.*):(%d+)$")
    thread.addr = wrk.lookup(host, port)[1]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local sums, bads, first, answers = {}, {}, "", {}
  for _, thread in ipairs(threads) do  -- summed over the threads (one a server)
    answers[#answers + 1] = string.format("%d", thread:get("answered"))
    for kind, count in pairs(thread:get("sent")) do sums[kind] = (sums[kind] or 0) + count end
    for status, count in pairs(thread:get("bad")) do
      if status == "first" then first = count
      else bads[status] = (bads[status] or 0) + count end
    end
  end
  local counts, statuses = {}, {}
  for kind, count in pairs(sums) do counts[#counts + 1] = string.format('"%s": %d', kind, count) end
  for status, count in pairs(bads) do statuses[#statuses + 1] = string.format('"%s": %d', status, count) end
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "sent": {%s}, "bad": {%s}, "first_bad": "%s", "answered": [%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, table.concat(counts, ", "), table.concat(statuses, ", "),
    first, table.concat(answers, ", ")))
end
