-- wrk script for bench/api.py: replay pre-signed raw HTTP requests, in order, cycling.
--
--   wrk -t T -c C -d Ds -s bench/replay.lua URL -- REQUESTS_FILE T
--
-- REQUESTS_FILE holds records "<byte length>\n<raw HTTP/1.1 request>". Thread i of T
-- sends records i, i+T, i+2T... so that every request is sent once before any repeats
-- (CreateRole needs a distinct name per request). done() prints one JSON line with the
-- counts and the latency percentiles in microseconds.

local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

local records = {}
local position = 0

function init(args)
  local path = args[1]
  local threads = tonumber(args[2]) or 1
  local me = tid or 0
  local file = assert(io.open(path, "rb"))
  local data = file:read("*a")
  file:close()
  local at, index = 1, 0
  while at <= #data do
    local newline = data:find("\n", at, true)
    local length = tonumber(data:sub(at, newline - 1))
    if index % threads == me then
      records[#records + 1] = data:sub(newline + 1, newline + length)
    end
    index = index + 1
    at = newline + length + 1
  end
end

function request()
  position = position + 1
  if position > #records then
    position = 1
  end
  return records[position]
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, ' ..
    '"p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, errors.status, errors.connect, errors.read,
    errors.write, errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
