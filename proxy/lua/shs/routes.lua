-- The allowlist: only the contract's routes and methods reach an instance. Anything else is answered here.
local health = require "shs.health"

local _M = {}

-- { path pattern, route label, allowed methods }
local ROUTES = {
  { "^/$", "/", { GET = true, HEAD = true } },
  { "^/ping$", "/ping", { GET = true, HEAD = true } },
  { "^/long_dummy$", "/long_dummy", { GET = true, HEAD = true } },
  { "^/db_dummy$", "/db_dummy", { GET = true, HEAD = true } },
  { "^/operation$", "/operation", { POST = true } },
  { "^/api/movie$", "/api/movie", { GET = true, HEAD = true } },
  { "^/api/movie/[^/]+$", "/api/movie/{id}", { GET = true, HEAD = true } },
  { "^/api/customer$", "/api/customer", { GET = true, HEAD = true } },
  { "^/api/customer/[^/]+$", "/api/customer/{id}", { GET = true, HEAD = true } },
  { "^/api/session$", "/api/session", { GET = true, HEAD = true, POST = true } },
  { "^/api/session/[^/]+$", "/api/session/{id}", { GET = true, HEAD = true, DELETE = true } },
}

-- The service's replay contract (shs/README.md, "Replays"): writes the proxy may send again to another instance
-- when an attempt that reached one failed (read timeout, connection error). /operation has no side effects;
-- POST /api/session is replayable when it carries an Idempotency-Key (the service answers a repeat with the
-- first answer, and never creates a second row). "always" or the request header that makes it replayable.
local REPLAYABLE = {
  ["/operation"] = { POST = "always" },
  ["/api/session"] = { POST = "idempotency-key" },
}

local WRITES = { POST = true, PATCH = true, DELETE = true }

function _M.replayable()
  local rule = (REPLAYABLE[ngx.var.uri] or {})[ngx.req.get_method()]
  if rule == "always" then return true end
  return rule ~= nil and (ngx.var["http_" .. rule:gsub("-", "_")] or "") ~= ""
end

local ORDER = { "GET", "HEAD", "POST", "DELETE" }

local function allow_header(methods)
  local list = {}
  for _, m in ipairs(ORDER) do
    if methods[m] then list[#list + 1] = m end
  end
  return table.concat(list, ", ")
end

local function refuse(status, code, message)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json; charset=utf-8"
  ngx.header["Cache-Control"] = "no-store"
  ngx.say('{"error":"', code, '","message":"', message, '"}')
  return ngx.exit(status)
end

-- access_by_lua: classify the request, refuse what is not allowed, and fail fast when no peer is healthy or
-- even alive (peers that accept connections but are not ready still get requests when none is: see health.lua).
function _M.access()
  local uri = ngx.var.uri
  local method = ngx.req.get_method()
  for _, r in ipairs(ROUTES) do
    if ngx.re.find(uri, r[1], "jo") then
      ngx.ctx.shs_route = r[2]
      if ngx.req.is_internal() then return end -- an error page: already judged
      if not r[3][method] then
        ngx.header["Allow"] = allow_header(r[3])
        return refuse(405, "method_not_allowed", method .. " is not allowed here")
      end
      if health.healthy_count() == 0 and health.alive_count() == 0 and ngx.var.shs_cacheable ~= "1" then
        ngx.header["Retry-After"] = "1"
        return refuse(503, "unavailable", "no healthy instance; try again shortly")
      end
      -- writes (except those without side effects) wait longer for their answer: see @write
      if WRITES[method] and (REPLAYABLE[uri] or {})[method] ~= "always" then
        return ngx.exec("@write")
      end
      return
    end
  end
  ngx.ctx.shs_route = "unmatched"
  return refuse(404, "not_found", "no such route")
end

-- The error page (@unavailable): what no instance answered. A write that reached an instance and got no answer
-- (read timeout, or the connection cut after it was sent) may have happened: 504 outcome_unknown, never "503,
-- try again" (a plain retry could do it twice). A 503 the shared database refused (balancer.lua) is passed on
-- as such. Anything else: 503, try again shortly.
function _M.unavailable()
  ngx.header["Retry-After"] = "1"
  ngx.header["Cache-Control"] = "no-store"
  if ngx.var.shs_failure == "database_refused" then
    ngx.status = 503
    ngx.say('{"error":"database_unavailable","message":"the database cannot be reached; try again"}')
    return ngx.exit(503)
  end
  local method = ngx.req.get_method()
  if WRITES[method] and (REPLAYABLE[ngx.var.uri] or {})[method] ~= "always" then
    local statuses, sent = {}, {}
    for s in (ngx.var.upstream_status or ""):gmatch("[^,:%s]+") do statuses[#statuses + 1] = s end
    for n in (ngx.var.upstream_bytes_sent or ""):gmatch("[^,:%s]+") do sent[#sent + 1] = tonumber(n) or 0 end
    for i, s in ipairs(statuses) do
      if (s == "504" or s == "502") and (sent[i] or 0) > 0 then
        ngx.header["Retry-After"] = nil
        ngx.status = 504
        local retry = _M.replayable() and "retrying with the same Idempotency-Key is safe"
          or "retry with an Idempotency-Key to make it safe to repeat"
        ngx.say('{"error":"outcome_unknown","message":"the write reached an instance that did not answer in time: it may or may not have happened; ', retry, '"}')
        return ngx.exit(504)
      end
    end
  end
  ngx.status = 503
  ngx.say('{"error":"unavailable","message":"no instance could answer; try again shortly"}')
  return ngx.exit(503)
end

return _M
