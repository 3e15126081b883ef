-- The freshness guard of /long_dummy. nginx serves a stale entry while a background update runs; if updates
-- keep failing it would serve that entry for ever. Here the time of the last answer the origin gave is kept,
-- and once it is older than the bound the cache is bypassed, so nothing older than max_stale is ever served.
local config = require "shs.config"

local _M = {}
local dict = ngx.shared.shs_health

-- rewrite_by_lua: sets $shs_cache_bypass
function _M.guard()
  local filled = dict:get("long_dummy:filled")
  if filled == nil or ngx.now() - filled > config.max_stale - 5 then
    ngx.var.shs_cache_bypass = "1"
  end
end

-- header_filter_by_lua: runs for background updates (subrequests) too
function _M.filled()
  local status = ngx.var.upstream_cache_status
  if ngx.status == 200 and (status == "MISS" or status == "EXPIRED" or status == "BYPASS" or status == "REVALIDATED") then
    dict:set("long_dummy:filled", ngx.now())
  end
end

return _M
