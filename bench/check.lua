-- wrk script for `make bench` (bench/gateway.py runs wrk with it; see bench/loadgen.py).
--
-- Every request is POST <url's path> with a valid TOTP code for the current 30-second time
-- step of one bench officer, each officer at most once per step: the gateway refuses a step
-- already used, which must never show up here as an error.
--
-- One connection per wrk thread (wrk -t N -c N): request() and response() then alternate on
-- each thread, so the script times every request itself (LuaJIT's FFI, CLOCK_MONOTONIC).
-- wrk's own latency object cannot serve: wrk 4 "corrects" it for coordinated omission before
-- done() sees it, adding made-up samples behind every slow request.
--
-- Environment (set by bench/loadgen.py):
--   BENCH_DATA     prefix of the data files: thread i (1-based) reads "<prefix><i>.txt", whose
--                  first line is "<first step> <number of steps> <password>", then one line per
--                  officer: "<username> <code for the first step> <next step's> ...";
--   BENCH_KEY      the service key (sent to every scenario, so the requests are the same bytes);
--   BENCH_RESULT   where done() writes its JSON.
--
-- An error is any answer that is not HTTP 200 with "decision":"allow" (counted per thread in
-- response()); wrk's own socket errors (connect, read, write, timeout) are reported beside them.

local ffi = require("ffi")
ffi.cdef [[
   typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
   int clock_gettime(int clock, bench_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_us()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
   return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local PERIOD = 30
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

-- Per thread (each wrk thread has its own Lua state); globals so that done() can read them.
ok = 0
bad = 0
exhausted = 0      -- requests sent after the thread had used all its officers in this step
off_window = 0     -- requests for a step the data file has no code for
bad_statuses = {}  -- HTTP status (as text) → count of errors
first_bad = ""     -- the start of the first wrong answer, to show what went wrong
latencies = {}     -- microseconds, one per answer

local usernames = {}
local codes = {}   -- codes[(officer - 1) * steps + (step - first_step) + 1]
local first_step, steps, password
local current_step, cursor = -1, 0
local sent_at = nil

function init(args)
   local file = assert(io.open(os.getenv("BENCH_DATA") .. thread_number .. ".txt", "r"))
   local header = file:read("*l")
   local a, b, c = string.match(header, "^(%d+) (%d+) (%S+)$")
   first_step, steps, password = tonumber(a), tonumber(b), c
   for line in file:lines() do
      local fields = {}
      for field in string.gmatch(line, "%S+") do
         table.insert(fields, field)
      end
      table.insert(usernames, fields[1])
      for k = 2, steps + 1 do
         table.insert(codes, fields[k])
      end
   end
   file:close()
   assert(#usernames > 0, "no officers for this thread")
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
end

function request()
   local step = math.floor(os.time() / PERIOD)
   if step ~= current_step then
      current_step, cursor = step, 0
   end
   cursor = cursor + 1
   if cursor > #usernames then
      -- Out of officers for this step: the code below is a reuse and will be refused.
      exhausted = exhausted + 1
      cursor = 1
   end
   local k = step - first_step
   if k < 0 or k >= steps then
      off_window = off_window + 1
      k = (k < 0) and 0 or (steps - 1)
   end
   local body = '{"username":"' .. usernames[cursor] .. '","password":"' .. password
      .. '","method":"soft_token","otp":"' .. codes[(cursor - 1) * steps + k + 1]
      .. '","client_ip":"10.0.0.1"}'
   sent_at = now_us()
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if sent_at then
      latencies[#latencies + 1] = now_us() - sent_at
      sent_at = nil
   end
   if status == 200 and string.find(body, '"decision":"allow"', 1, true) then
      ok = ok + 1
   else
      bad = bad + 1
      local key = tostring(status)
      bad_statuses[key] = (bad_statuses[key] or 0) + 1
      if first_bad == "" then
         first_bad = string.sub(body or "", 1, 300)
      end
   end
end

local function quoted(text)
   return '"' .. string.gsub(text, '[%c"\\]', function(c)
      return string.format("\\u%04x", string.byte(c))
   end) .. '"'
end

local function percentile(sorted, p)
   if #sorted == 0 then
      return 0
   end
   return sorted[math.max(1, math.ceil(#sorted * p / 100))]
end

function done(summary, latency, requests)
   local totals = { ok = 0, bad = 0, exhausted = 0, off_window = 0 }
   local statuses = {}
   local sample = ""
   local all = {}
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + thread:get(name)
      end
      for status, n in pairs(thread:get("bad_statuses")) do
         statuses[status] = (statuses[status] or 0) + n
      end
      if sample == "" then
         sample = thread:get("first_bad")
      end
      for _, value in ipairs(thread:get("latencies")) do
         all[#all + 1] = value
      end
   end
   table.sort(all)
   local sum = 0
   for _, value in ipairs(all) do
      sum = sum + value
   end
   local status_items = {}
   for status, n in pairs(statuses) do
      table.insert(status_items, quoted(status) .. ":" .. n)
   end
   local e = summary.errors
   local out = assert(io.open(os.getenv("BENCH_RESULT"), "w"))
   out:write(string.format(
      '{"duration_us":%d,"requests":%d,"bytes":%d,'
         .. '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"status_errors":%d,'
         .. '"ok":%d,"bad":%d,"exhausted":%d,"off_window":%d,"bad_statuses":{%s},"first_bad":%s,'
         .. '"latency_us":{"count":%d,"min":%.1f,"mean":%.1f,"max":%.1f,"p50":%.1f,"p90":%.1f,'
         .. '"p95":%.1f,"p99":%.1f},'
         .. '"wrk_corrected_latency_us":{"mean":%.1f,"p50":%d,"p99":%d}}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status,
      totals.ok, totals.bad, totals.exhausted, totals.off_window,
      table.concat(status_items, ","), quoted(sample),
      #all, all[1] or 0, (#all > 0) and sum / #all or 0, all[#all] or 0,
      percentile(all, 50), percentile(all, 90), percentile(all, 95), percentile(all, 99),
      latency.mean, latency:percentile(50), latency:percentile(99)
   ))
   out:close()
end
