-- The mixed load: 60 % intake, 30 % coordinator queue reads, 10 % accepts, with a JSON summary from done().
-- wrk ... -s bench/wrk/mixed.lua URL -- <bodies.jsonl> <helpline token> <threads> <queue tokens> <accepts prefix>
-- Each thread accepts only the offers in <accepts prefix>.<thread id>, each once, with the token of the
-- organisation the offer was made to; when its list runs out it reads a queue instead (counted).
local summary = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "summary.lua")
local threads = {}
local bodies, queue_tokens, accepts = {}, {}, {}
local intake_headers, position, step, next_accept = {}, 0, 1, 1
counts = { intake = 0, queue = 0, accept = 0, accept_exhausted = 0, ok_intake = 0, ok_queue = 0, ok_accept = 0 }
statuses = {}
samples = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function bearer(token)
  return { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
end

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  intake_headers = bearer(args[2])
  step = tonumber(args[3])
  for line in io.lines(args[4]) do
    queue_tokens[#queue_tokens + 1] = line
  end
  for line in io.lines(args[5] .. "." .. id) do
    local referral, token = line:match("^(%d+)\t(%S+)$")
    accepts[#accepts + 1] = { referral, token }
  end
  position = id
  math.randomseed(1000 + id)
end

local function intake()
  position = position % #bodies + 1
  local body = bodies[position]
  position = position + step - 1
  counts.intake = counts.intake + 1
  return wrk.format("POST", "/api/v1/referrals", intake_headers, body)
end

local function queue()
  counts.queue = counts.queue + 1
  local token = queue_tokens[math.random(#queue_tokens)]
  return wrk.format("GET", "/api/v1/queue", { ["Authorization"] = "Bearer " .. token })
end

local function accept()
  local item = accepts[next_accept]
  if item == nil then
    counts.accept_exhausted = counts.accept_exhausted + 1
    return queue()
  end
  next_accept = next_accept + 1
  counts.accept = counts.accept + 1
  return wrk.format("POST", "/api/v1/referrals/" .. item[1] .. "/accept", bearer(item[2]), "{}")
end

function request()
  local draw = math.random()
  if draw < 0.6 then
    return intake()
  elseif draw < 0.9 then
    return queue()
  end
  return accept()
end

-- Which kind a successful answer was: intake is the only 201; only a queue has "offers" and "work" keys.
function response(status, _headers, body)
  summary.count_status(statuses, samples, status, body)
  if status == 201 then
    counts.ok_intake = counts.ok_intake + 1
  elseif status == 200 and body:find('"offers"%s*:') and body:find('"work"%s*:') then
    counts.ok_queue = counts.ok_queue + 1
  elseif status == 200 then
    counts.ok_accept = counts.ok_accept + 1
  end
end

function done(run, latency, _requests)
  summary.report(run, latency, threads)
end
