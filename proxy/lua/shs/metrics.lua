-- Prometheus metrics kept in a shared dict by the log phase, rendered on the internal metrics port.
local config = require "shs.config"
local health = require "shs.health"

local _M = {}
local dict = ngx.shared.shs_metrics

local BUCKETS = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3, 6 }
local SEP = "\1"

local function inc(key, by)
  local ok, err = dict:incr(key, by or 1, 0)
  if not ok and err ~= "exists" then ngx.log(ngx.WARN, "shs metrics: ", err) end
end

-- log_by_lua
function _M.log()
  local route = ngx.ctx.shs_route or "unmatched"
  local method = ngx.req.get_method()
  local status = ngx.status
  local seconds = tonumber(ngx.var.request_time) or 0
  inc("r" .. SEP .. route .. SEP .. method .. SEP .. status)
  local base = "d" .. SEP .. route .. SEP .. method .. SEP
  for i = 1, #BUCKETS do
    if seconds <= BUCKETS[i] then
      inc(base .. i)
      break
    end
  end
  inc(base .. "count")
  dict:incr(base .. "sum", seconds, 0)
  local cache = ngx.var.upstream_cache_status
  if cache and cache ~= "" then inc("c" .. SEP .. cache) end
  local addrs, codes = ngx.var.upstream_addr, ngx.var.upstream_status
  if addrs and codes then
    local list = {}
    for code in codes:gmatch("[^,%s:]+") do list[#list + 1] = code end
    local i = 0
    for addr in addrs:gmatch("[^,%s:]+:?%d*") do
      i = i + 1
      inc("u" .. SEP .. addr .. SEP .. (list[i] or "-"))
    end
  end
end

local function esc(s)
  return (tostring(s):gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", "\\n"))
end

local function split(key)
  local parts = {}
  for p in (key .. SEP):gmatch("(.-)" .. SEP) do parts[#parts + 1] = p end
  return parts
end

-- content_by_lua on the metrics port
function _M.render()
  local out = {}
  local function add(line) out[#out + 1] = line end
  local keys = dict:get_keys(0)
  table.sort(keys)

  add("# HELP shs_proxy_requests_total Requests answered by the proxy, by route pattern, method and status")
  add("# TYPE shs_proxy_requests_total counter")
  for _, k in ipairs(keys) do
    local p = split(k)
    if p[1] == "r" then
      add(string.format('shs_proxy_requests_total{route="%s",method="%s",status="%s"} %d', esc(p[2]), esc(p[3]), esc(p[4]), dict:get(k) or 0))
    end
  end

  add("# HELP shs_proxy_request_duration_seconds Time from the first byte of a request to the last byte of its answer")
  add("# TYPE shs_proxy_request_duration_seconds histogram")
  local series = {}
  for _, k in ipairs(keys) do
    local p = split(k)
    if p[1] == "d" then
      local id = p[2] .. SEP .. p[3]
      series[id] = series[id] or { route = p[2], method = p[3], b = {} }
      local v = dict:get(k) or 0
      if p[4] == "count" then series[id].count = v
      elseif p[4] == "sum" then series[id].sum = v
      else series[id].b[tonumber(p[4])] = v end
    end
  end
  local ids = {}
  for id in pairs(series) do ids[#ids + 1] = id end
  table.sort(ids)
  for _, id in ipairs(ids) do
    local s = series[id]
    local labels = string.format('route="%s",method="%s"', esc(s.route), esc(s.method))
    local cumulative = 0
    for i, le in ipairs(BUCKETS) do
      cumulative = cumulative + (s.b[i] or 0)
      add(string.format('shs_proxy_request_duration_seconds_bucket{%s,le="%s"} %d', labels, le, cumulative))
    end
    add(string.format('shs_proxy_request_duration_seconds_bucket{%s,le="+Inf"} %d', labels, s.count or 0))
    add(string.format("shs_proxy_request_duration_seconds_sum{%s} %.6f", labels, s.sum or 0))
    add(string.format("shs_proxy_request_duration_seconds_count{%s} %d", labels, s.count or 0))
  end

  add("# HELP shs_proxy_cache_requests_total Cache lookups of /long_dummy by result (HIT, MISS, EXPIRED, STALE, UPDATING, BYPASS)")
  add("# TYPE shs_proxy_cache_requests_total counter")
  for _, k in ipairs(keys) do
    local p = split(k)
    if p[1] == "c" then add(string.format('shs_proxy_cache_requests_total{result="%s"} %d', esc(p[2]), dict:get(k) or 0)) end
  end

  add("# HELP shs_proxy_upstream_responses_total Upstream attempts by peer and status (a retried request counts once per attempt)")
  add("# TYPE shs_proxy_upstream_responses_total counter")
  for _, k in ipairs(keys) do
    local p = split(k)
    if p[1] == "u" then
      add(string.format('shs_proxy_upstream_responses_total{peer="%s",status="%s"} %d', esc(p[2]), esc(p[3]), dict:get(k) or 0))
    end
  end

  local hdict = ngx.shared.shs_health
  add("# HELP shs_proxy_upstream_up Health verdict per peer (1 up, 0 down)")
  add("# TYPE shs_proxy_upstream_up gauge")
  for _, peer in ipairs(config.peers) do
    add(string.format('shs_proxy_upstream_up{peer="%s"} %d', esc(peer.name), health.is_up(peer.name) and 1 or 0))
  end
  add("# HELP shs_proxy_upstream_down_transitions_total Times a peer was marked down")
  add("# TYPE shs_proxy_upstream_down_transitions_total counter")
  for _, peer in ipairs(config.peers) do
    add(string.format('shs_proxy_upstream_down_transitions_total{peer="%s"} %d', esc(peer.name), hdict:get("downs:" .. peer.name) or 0))
  end
  ngx.header["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
  ngx.print(table.concat(out, "\n"), "\n")
end

return _M
