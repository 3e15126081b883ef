-- Fixed request rate for wrk (wrk2 is not packaged on Debian). With BENCH_RATE set, each thread hands out send
-- times BENCH_THREADS/BENCH_RATE seconds apart from its start, and a connection whose answer has arrived waits
-- for the next one (wrk's delay() hook). Send times already past are used at once: after a stall the thread
-- catches up, as an open-loop arrival stream limited to -c connections would. Latency is counted from when a
-- request was sent, not when it was due (no coordinated-omission correction, unlike wrk2): compare the achieved
-- Requests/sec with BENCH_RATE, and read p99 as a lower bound when they differ.
-- Used alone as a script (the URL's path is requested) or loaded by the other scripts with dofile.
local rate = tonumber(os.getenv("BENCH_RATE") or "")
if not rate then return end
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")

local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval_ms = 1000 * threads / rate
local next_at = nil

function delay()
  local now = now_ms()
  next_at = next_at or now
  local wait = next_at - now
  next_at = next_at + interval_ms
  if wait <= 0 then return 0 end
  return math.floor(wait)
end
