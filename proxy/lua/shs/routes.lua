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

-- access_by_lua: classify the request, refuse what is not allowed, and fail fast when no peer is healthy.
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
      if health.healthy_count() == 0 and ngx.var.shs_cacheable ~= "1" then
        ngx.header["Retry-After"] = "1"
        return refuse(503, "unavailable", "no healthy instance; try again shortly")
      end
      return
    end
  end
  ngx.ctx.shs_route = "unmatched"
  return refuse(404, "not_found", "no such route")
end

return _M
