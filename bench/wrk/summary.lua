-- Shared by the wrk scripts: per-status counts in each thread, and one JSON line from done().
local summary = {}

function summary.count_status(statuses, samples, status, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 400 and samples[key] == nil then
    samples[key] = string.sub(body or "", 1, 300)
  end
end

local function quote(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function object(values)
  local parts = {}
  for key, value in pairs(values) do
    local text = type(value) == "number" and string.format("%d", value) or quote(tostring(value))
    parts[#parts + 1] = quote(key) .. ":" .. text
  end
  table.sort(parts)
  return "{" .. table.concat(parts, ",") .. "}"
end

local function merge(threads, name)
  local total = {}
  for _, thread in ipairs(threads) do
    for key, value in pairs(thread:get(name) or {}) do
      if type(value) == "number" then
        total[key] = (total[key] or 0) + value
      elseif total[key] == nil then
        total[key] = value
      end
    end
  end
  return total
end

function summary.report(run, latency, threads)
  local e = run.errors
  local fields = {
    requests = run.requests,
    duration_us = run.duration,
    connect_errors = e.connect,
    read_errors = e.read,
    write_errors = e.write,
    timeout_errors = e.timeout,
    status_errors = e.status,
    p50_us = latency:percentile(50),
    p90_us = latency:percentile(90),
    p99_us = latency:percentile(99),
    max_us = latency.max,
    mean_us = latency.mean,
  }
  local parts = {}
  for key, value in pairs(fields) do
    parts[#parts + 1] = string.format('"%s":%d', key, value)
  end
  parts[#parts + 1] = '"statuses":' .. object(merge(threads, "statuses"))
  parts[#parts + 1] = '"counts":' .. object(merge(threads, "counts"))
  parts[#parts + 1] = '"error_samples":' .. object(merge(threads, "samples"))
  io.write("WRK_JSON {" .. table.concat(parts, ",") .. "}\n")
end

return summary
