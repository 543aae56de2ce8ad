-- wrk script: POST the order body read from the file named by BENCH_BODY.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json;charset=utf-8"
wrk.headers["Authorization"] = "Bearer demo-key-buyer-a"

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write("STATUS")
  for k, v in pairs(statuses) do io.write(string.format(" %d=%d", k, v)) end
  io.write("\n")
  io.write(string.format("RESULT rps=%.1f p50=%.3f p99=%.3f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
