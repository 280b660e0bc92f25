-- The benchmark's wrk script (bench/wrk.py runs it): headers, body, per-request variation,
-- and a result line wrk's own summary lacks (the exact statuses).
--
-- Set through the environment:
--   BENCH_KEY      the API key (Authorization: Bearer ...)
--   BENCH_METHOD   GET, POST or PATCH; BENCH_BODY a fixed JSON body, if any
--   BENCH_TARGETS  a file of "path<TAB>element id" lines: every request is then a PATCH of
--                  the next line's task, setting the element to a value never sent before
--                  (BENCH_SALT tells this wrk run from the earlier ones)
--   BENCH_THREADS  wrk's -t, so that threads take turns over the targets
--   BENCH_ROW      sent as X-Bench-Row: the server counts its answers per row with it
--
-- wrk runs one Lua state per thread plus one for setup() and done(): each thread counts
-- its own statuses, and done() adds them up through the thread objects setup() kept.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["X-Bench-Row"] = os.getenv("BENCH_ROW") or ""
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
   wrk.body = body
   wrk.headers["Content-Type"] = "application/json"
end

local targets_file = os.getenv("BENCH_TARGETS")
if targets_file and targets_file ~= "" then
   local targets, sent = {}, 0
   local stride = tonumber(os.getenv("BENCH_THREADS") or "1")
   local salt = os.getenv("BENCH_SALT") or "0"
   wrk.headers["Content-Type"] = "application/json"
   for line in io.lines(targets_file) do
      local path, element = line:match("^([^\t]+)\t(.+)$")
      table.insert(targets, {path, element})
   end

   function request()
      local target = targets[((sent * stride + id) % #targets) + 1]
      sent = sent + 1
      local value = string.format("check %s-%d-%d", salt, id, sent)
      return wrk.format("PATCH", target[1], nil, string.format('{"custom_elements":[{"element_id":"%s","value":"%s"}]}',
         target[2], value))
   end
end

statuses = {}

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         total[status] = (total[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(total) do
      table.insert(parts, string.format('"%d": %d', status, count))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "statuses": {%s}, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
      '"p50_us": %d, "p99_us": %d}\n',
      summary.requests, summary.duration, table.concat(parts, ", "),
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(99)))
end
