-- balancer_by_lua: round robin over the healthy peers; a retry goes to a peer this request has not tried.
-- Which failures are retried is nginx's proxy_next_upstream. nginx itself never replays POST or PATCH once
-- sent, but it would replay DELETE: here no non-idempotent request is replayed once its previous attempt had
-- sent any byte, so only a failed connection (nothing sent) moves it to another peer.
local balancer = require "ngx.balancer"
local config = require "shs.config"
local health = require "shs.health"

local _M = {}
local counter = 0

local NON_IDEMPOTENT = { POST = true, PATCH = true, DELETE = true }

local function choose(tried)
  local n = #config.peers
  -- healthy and untried first, then anything untried (health verdicts may lag a restart)
  for pass = 1, 2 do
    for _ = 1, n do
      counter = counter + 1
      local peer = config.peers[(counter % n) + 1]
      if not tried[peer.name] and (pass == 2 or health.is_up(peer.name)) then return peer end
    end
  end
  return nil
end

-- "185, 0 : " lists the bytes sent by each attempt; the last number is the attempt that just failed.
function _M.previous_attempt_sent(list)
  local last
  for n in (list or ""):gmatch("%d+") do last = n end
  return last ~= nil and tonumber(last) > 0
end

function _M.pick()
  local ctx = ngx.ctx
  local tried = ctx.shs_tried
  if not tried then
    tried = {}
    ctx.shs_tried = tried
    balancer.set_more_tries(#config.peers - 1)
  elseif NON_IDEMPOTENT[ngx.req.get_method()] and _M.previous_attempt_sent(ngx.var.upstream_bytes_sent) then
    ngx.log(ngx.WARN, "shs balancer: not replaying ", ngx.req.get_method(), " ", ngx.var.uri, ": it reached an instance")
    return ngx.exit(ngx.ERROR)
  end
  local peer = choose(tried)
  if not peer then return ngx.exit(ngx.ERROR) end
  tried[peer.name] = true
  local ok, err = balancer.set_current_peer(peer.host, peer.port)
  if not ok then
    ngx.log(ngx.ERR, "shs balancer: ", err)
    return ngx.exit(ngx.ERROR)
  end
end

return _M
