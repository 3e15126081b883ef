-- Prometheus metrics kept in a shared dict by the log phase, rendered on the internal metrics port.
local config = require "shs.config"
local health = require "shs.health"

local _M = {}
local dict = ngx.shared.shs_metrics

-- monitoring/src/slo.ts (PROXY_LATENCY_BUCKETS) lists these too: a latency objective's bound must be one of them.
local BUCKETS = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.5, 3, 6 }
-- shs_proxy_cache_served_age_seconds: around the 30 s freshness and the 60 s bound on what is served.
local AGE_BUCKETS = { 1, 5, 10, 20, 30, 40, 50, 55, 60, 90, 120, 300 }
local SEP = "\1"

-- The method label is bounded: a method a client invents is counted as OTHER, never as a series of its own.
local METHODS = { GET = true, HEAD = true, POST = true, PUT = true, DELETE = true, PATCH = true, OPTIONS = true }

function _M.method_label(method)
  return METHODS[method] and method or "OTHER"
end

-- upstream_cache_status of an answer served from the cache, and of one fetched from the origin.
local FROM_CACHE = { HIT = true, STALE = true, UPDATING = true }

-- Upstream attempts in $upstream_addr, "a:1, b:2 : c:3": separated by ", " (and by " : " across an internal
-- redirect; a unix: or IPv6 address has no spaces around its colons).
function _M.attempts(addrs)
  if not addrs or addrs == "" then return 0 end
  local _, commas = addrs:gsub(",", "")
  local _, redirects = addrs:gsub(" : ", "")
  return 1 + commas + redirects
end

local function inc(key, by)
  local ok, err = dict:incr(key, by or 1, 0)
  if not ok and err ~= "exists" then ngx.log(ngx.WARN, "shs metrics: ", err) end
end

local function observe(prefix, buckets, value)
  for i = 1, #buckets do
    if value <= buckets[i] then
      inc(prefix .. i)
      break
    end
  end
  inc(prefix .. "count")
  dict:incr(prefix .. "sum", value, 0)
end

-- log_by_lua
function _M.log()
  local route = ngx.ctx.shs_route or "unmatched"
  local method = _M.method_label(ngx.req.get_method())
  local status = ngx.status
  local seconds = tonumber(ngx.var.request_time) or 0
  inc("r" .. SEP .. route .. SEP .. method .. SEP .. status)
  observe("d" .. SEP .. route .. SEP .. method .. SEP, BUCKETS, seconds)
  local cache = ngx.var.upstream_cache_status
  if cache and cache ~= "" then
    inc("c" .. SEP .. cache)
    -- the age of this answer: 0 when fetched from the origin, else since the origin last filled the entry
    -- (read by cache.lua when the answer's header went out, before a background update could refill it)
    local age = 0
    if FROM_CACHE[cache] then age = ngx.ctx.shs_served_age end
    if age then observe("a" .. SEP, AGE_BUCKETS, age) end
  end
  local addrs, codes = ngx.var.upstream_addr, ngx.var.upstream_status
  local tries = _M.attempts(addrs)
  if tries > 1 then inc("t" .. SEP .. route, tries - 1) end
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

  add("# HELP shs_proxy_cache_served_age_seconds Age of each /long_dummy answer: 0 when fetched from the origin, else the time since the origin last filled the cache")
  add("# TYPE shs_proxy_cache_served_age_seconds histogram")
  local base = "a" .. SEP
  local cumulative = 0
  for i, le in ipairs(AGE_BUCKETS) do
    cumulative = cumulative + (dict:get(base .. i) or 0)
    add(string.format('shs_proxy_cache_served_age_seconds_bucket{le="%s"} %d', le, cumulative))
  end
  local count = dict:get(base .. "count") or 0
  add(string.format('shs_proxy_cache_served_age_seconds_bucket{le="+Inf"} %d', count))
  add(string.format("shs_proxy_cache_served_age_seconds_sum %.6f", dict:get(base .. "sum") or 0))
  add(string.format("shs_proxy_cache_served_age_seconds_count %d", count))

  local hdict = ngx.shared.shs_health
  add("# HELP shs_proxy_cache_filled_timestamp_seconds Unix time the origin last filled the /long_dummy cache (absent until it has)")
  add("# TYPE shs_proxy_cache_filled_timestamp_seconds gauge")
  local filled = hdict:get("long_dummy:filled")
  if filled then add(string.format("shs_proxy_cache_filled_timestamp_seconds %.3f", filled)) end

  add("# HELP shs_proxy_upstream_retries_total Extra upstream attempts (retries on another peer), by route pattern")
  add("# TYPE shs_proxy_upstream_retries_total counter")
  for _, k in ipairs(keys) do
    local p = split(k)
    if p[1] == "t" then add(string.format('shs_proxy_upstream_retries_total{route="%s"} %d', esc(p[2]), dict:get(k) or 0)) end
  end

  add("# HELP shs_proxy_upstream_responses_total Upstream attempts by peer and status (a retried request counts once per attempt)")
  add("# TYPE shs_proxy_upstream_responses_total counter")
  for _, k in ipairs(keys) do
    local p = split(k)
    if p[1] == "u" then
      add(string.format('shs_proxy_upstream_responses_total{peer="%s",status="%s"} %d', esc(p[2]), esc(p[3]), dict:get(k) or 0))
    end
  end

  add("# HELP shs_proxy_upstream_up Health verdict per peer (1 up, 0 down)")
  add("# TYPE shs_proxy_upstream_up gauge")
  for _, peer in ipairs(config.peers) do
    add(string.format('shs_proxy_upstream_up{peer="%s"} %d', esc(peer.name), health.is_up(peer.name) and 1 or 0))
  end
  add("# HELP shs_proxy_upstream_alive Peer accepts connections (1), whether or not it is ready; when no peer is up, the alive ones still get requests")
  add("# TYPE shs_proxy_upstream_alive gauge")
  for _, peer in ipairs(config.peers) do
    add(string.format('shs_proxy_upstream_alive{peer="%s"} %d', esc(peer.name), health.is_alive(peer.name) and 1 or 0))
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
