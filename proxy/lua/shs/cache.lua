-- The freshness guard of /long_dummy. nginx serves a stale entry while a background update runs; if updates
-- keep failing it would serve that entry for ever. Here the time of the last answer the origin gave is kept,
-- and once it is older than the bound the cache is bypassed, so nothing older than max_stale is ever served.
-- The same time gives the age of each answer served from the cache (shs_proxy_cache_served_age_seconds).
local config = require "shs.config"

local _M = {}
local dict = ngx.shared.shs_health

local FROM_ORIGIN = { MISS = true, EXPIRED = true, BYPASS = true, REVALIDATED = true }
local FROM_CACHE = { HIT = true, STALE = true, UPDATING = true }

-- rewrite_by_lua: sets $shs_cache_bypass
function _M.guard()
  local filled = dict:get("long_dummy:filled")
  if filled == nil or ngx.now() - filled > config.max_stale - 5 then
    ngx.var.shs_cache_bypass = "1"
  end
end

-- The headers caches further down see: the answer's Age (whole seconds since the origin filled the entry), and
-- a max-age that keeps Age + max-age under max_stale (1 s of margin for Age's rounding down), so not even a
-- cache that ignores Age keeps it past the bound. No stale-while-revalidate: it would stretch the bound.
local function downstream_headers(age)
  local whole = math.floor(age)
  ngx.header["Age"] = tostring(whole)
  ngx.header["Cache-Control"] = "public, max-age=" .. math.max(0, config.max_stale - whole - 1)
end

-- header_filter_by_lua: runs for background updates (subrequests) too. For an answer from the cache it keeps
-- the entry's age in ngx.ctx for the log phase (metrics.lua): read now, as its header goes out, because a
-- background update started by this very request may refill the entry before the request is logged.
-- An answer that sets a cookie is never stored (proxy_no_cache), so it does not count as a fill, and it is
-- marked no-store for the caches further down too.
function _M.filled()
  local status = ngx.var.upstream_cache_status
  if ngx.status ~= 200 then return end
  if FROM_ORIGIN[status] then
    if ngx.header["Set-Cookie"] ~= nil then
      ngx.header["Cache-Control"] = "no-store"
      return
    end
    dict:set("long_dummy:filled", ngx.now())
    downstream_headers(0)
  elseif FROM_CACHE[status] then
    local filled = dict:get("long_dummy:filled")
    if filled then
      local age = math.max(0, ngx.now() - filled)
      ngx.ctx.shs_served_age = age
      downstream_headers(age)
    else
      -- the fill time is lost (not expected: the dict outlives the entry): claim the oldest age allowed
      downstream_headers(config.max_stale)
    end
  end
end

return _M
