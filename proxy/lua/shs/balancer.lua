-- balancer_by_lua: round robin over the healthy peers; a retry goes to a peer this request has not tried.
-- Which failures are retried is nginx's proxy_next_upstream (with non_idempotent, so nginx would replay any
-- method): here a POST, PATCH or DELETE is replayed once its previous attempt had sent any byte only when the
-- service declares it replayable (routes.replayable: /operation, and POST /api/session with an Idempotency-Key);
-- any other write moves to another peer only after a failed connection (nothing sent).
-- A peer whose attempt timed out is ejected at once (health.eject); a 503 the service marks
-- X-SHS-Retryable: false (its shared database refused) is not tried elsewhere (routes.unavailable answers it).
local balancer = require "ngx.balancer"
local config = require "shs.config"
local health = require "shs.health"
local routes = require "shs.routes"

local _M = {}
local counter = 0

local NON_IDEMPOTENT = { POST = true, PATCH = true, DELETE = true }

-- healthy and untried first; then `again` (the peer whose attempt just timed out, when it is still up: see
-- pick); then alive (accepting connections, if not ready: no peer is up, or all that are were tried); then
-- anything untried (health verdicts may lag a restart)
local function choose(tried, again)
  local n = #config.peers
  for pass = 1, 3 do
    if pass == 2 and again and health.is_up(again.name) then return again end
    for _ = 1, n do
      counter = counter + 1
      local peer = config.peers[(counter % n) + 1]
      if not tried[peer.name] and (pass == 3 or (pass == 1 and health.is_up(peer.name)) or (pass == 2 and health.is_alive(peer.name))) then
        return peer
      end
    end
  end
  return nil
end

local function peer_named(name)
  for _, peer in ipairs(config.peers) do
    if peer.name == name then return peer end
  end
end

local SAFE = { GET = true, HEAD = true }

-- "185, 0 : " lists the bytes sent by each attempt; the last number is the attempt that just failed.
function _M.previous_attempt_sent(list)
  local last
  for n in (list or ""):gmatch("%d+") do last = n end
  return last ~= nil and tonumber(last) > 0
end

function _M.pick()
  local ctx = ngx.ctx
  local again
  local tried = ctx.shs_tried
  if not tried then
    tried = {}
    ctx.shs_tried = tried
    -- one try per peer (the same peer asked again, below, takes the try of a peer that is not up)
    balancer.set_more_tries(#config.peers - 1)
  else
    local _, status = balancer.get_last_failure()
    -- a read timeout: the peer is hung (or far too slow); out of rotation now, the active checks bring it back
    if status == 504 and ctx.shs_peer then health.eject(ctx.shs_peer, "read timeout") end
    -- ...unless it is the last peer up (health.eject keeps it): then what may be sent again (GET, HEAD, a
    -- replayable write) is sent to it once more before any peer that is not up. During a rolling restart the
    -- one instance left serving may stall past the read timeout on a busy machine while the other restarts;
    -- one more wait on it beats a 503 from a peer that is not there. A peer that really hangs costs one more
    -- read timeout, once.
    if status == 504 and ctx.shs_peer and not ctx.shs_again_used and (SAFE[ngx.req.get_method()] or routes.replayable()) then
      again = peer_named(ctx.shs_peer)
    end
    -- the shared database refused: another instance would ask the same database, so it is not asked twice
    if status == 503 and ngx.var.upstream_http_x_shs_retryable == "false" then
      ngx.var.shs_failure = "database_refused"
      return ngx.exit(ngx.ERROR)
    end
    if NON_IDEMPOTENT[ngx.req.get_method()] and not routes.replayable() and _M.previous_attempt_sent(ngx.var.upstream_bytes_sent) then
      ngx.log(ngx.WARN, "shs balancer: not replaying ", ngx.req.get_method(), " ", ngx.var.uri, ": it reached an instance")
      return ngx.exit(ngx.ERROR)
    end
  end
  local peer = choose(tried, again)
  if not peer then return ngx.exit(ngx.ERROR) end
  if again and peer == again then
    ctx.shs_again_used = true
    ngx.log(ngx.WARN, "shs balancer: ", peer.name, " timed out and no other peer is up: asking it once more")
  end
  tried[peer.name] = true
  ctx.shs_peer = peer.name
  local ok, err = balancer.set_current_peer(peer.host, peer.port)
  if not ok then
    ngx.log(ngx.ERR, "shs balancer: ", err)
    return ngx.exit(ngx.ERROR)
  end
end

return _M
