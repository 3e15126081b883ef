-- GET <BENCH_PATH_PREFIX><id>, with a new uniformly random id in 1..BENCH_ID_MAX for every request.
-- Usage: BENCH_PATH_PREFIX=/api/session/ BENCH_ID_MAX=5000000 wrk -s bench/wrk/random-id.lua http://host:port
local prefix = os.getenv("BENCH_PATH_PREFIX") or "/"
local max_id = tonumber(os.getenv("BENCH_ID_MAX") or "1")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  -- A fixed seed per thread: the same id sequence on every run.
  math.randomseed(1000 + (seed or 0))
end

function request()
  return wrk.format("GET", prefix .. math.random(1, max_id))
end

-- BENCH_RATE set: a fixed request rate (see pace.lua beside this script).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "pace.lua")
