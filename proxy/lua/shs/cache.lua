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

-- header_filter_by_lua: runs for background updates (subrequests) too. For an answer from the cache it keeps
-- the entry's age in ngx.ctx for the log phase (metrics.lua): read now, as its header goes out, because a
-- background update started by this very request may refill the entry before the request is logged.
function _M.filled()
  local status = ngx.var.upstream_cache_status
  if FROM_ORIGIN[status] then
    if ngx.status == 200 then dict:set("long_dummy:filled", ngx.now()) end
  elseif FROM_CACHE[status] then
    local filled = dict:get("long_dummy:filled")
    if filled then ngx.ctx.shs_served_age = math.max(0, ngx.now() - filled) end
  end
end

return _M
