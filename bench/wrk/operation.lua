-- POST /operation with a JSON body {"operation": <random integer>}.
-- Usage: wrk -s bench/wrk/operation.lua http://host:port
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  math.randomseed(2000)
end

function request()
  return wrk.format("POST", "/operation", headers, '{"operation":' .. math.random(1, 1000000) .. '}')
end

-- BENCH_RATE set: a fixed request rate (see pace.lua beside this script).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "pace.lua")
