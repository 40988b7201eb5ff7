-- POST /api/v1/referrals with varied call bodies, one per request, and a JSON summary from done().
-- wrk ... -s bench/wrk/intake.lua URL -- <bodies.jsonl> <bearer token> <threads> [path]
local summary = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "summary.lua")
local threads = {}
local bodies, headers, position, step, path = {}, {}, 0, 1, "/api/v1/referrals"
counts = { sent = 0 }
statuses = {}
samples = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. args[2] }
  step = tonumber(args[3])
  path = args[4] or path
  position = id
end

function request()
  position = position % #bodies + 1
  local body = bodies[position]
  position = position + step - 1
  counts.sent = counts.sent + 1
  return wrk.format("POST", path, headers, body)
end

function response(status, _headers, body)
  summary.count_status(statuses, samples, status, body)
end

function done(run, latency, _requests)
  summary.report(run, latency, threads)
end
