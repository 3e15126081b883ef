-- Active health checks: one worker probes every peer's /ping (expecting 200 "pong") every interval over a
-- cosocket, and keeps the verdicts in a shared dict every worker reads. A peer goes down after `fall`
-- consecutive failures and comes back after `rise` consecutive successes.
-- /ping is readiness: a peer can be alive (it accepts connections) without being up, e.g. while its database
-- is unreachable, while it drains, or while it is too busy to answer a probe in time. When no peer is up,
-- requests still go to the alive ones (each answers what it can: routes without the database work, the others
-- fail fast with 503), rather than the proxy refusing everything; only when no peer accepts connections
-- either (`fall` refused or failed connects in a row) does the proxy answer 503 itself.
local config = require "shs.config"

local _M = {}
local dict = ngx.shared.shs_health

local function read_response(sock)
  local status_line, err = sock:receive("*l")
  if not status_line then return nil, "status line: " .. tostring(err) end
  local status = tonumber(status_line:match("^HTTP/%d%.%d (%d%d%d)"))
  if not status then return nil, "bad status line" end
  while true do
    local line, herr = sock:receive("*l")
    if not line then return nil, "headers: " .. tostring(herr) end
    if line == "" then break end
  end
  local body = sock:receive("*a") -- HTTP/1.0: the server closes after the body
  return status, body or ""
end

function _M.probe(peer, timeout_ms)
  local sock = ngx.socket.tcp()
  sock:settimeouts(timeout_ms, timeout_ms, timeout_ms)
  local ok, err = sock:connect(peer.host, peer.port)
  if not ok then return false, "connect: " .. tostring(err), false end
  ok, err = sock:send("GET /ping HTTP/1.0\r\nHost: shs\r\nUser-Agent: shs-proxy-health\r\nX-Request-Id: health-check\r\n\r\n")
  if not ok then sock:close(); return false, "send: " .. tostring(err), true end
  local status, body = read_response(sock)
  sock:close()
  if not status then return false, body, true end
  if status ~= 200 or body ~= "pong" then return false, "answered " .. status, true end
  return true, nil, true
end

local function record(peer, healthy, reason, connected)
  local h = config.health
  local key = peer.name
  -- alive: it accepts connections; not after `fall` probes in a row that could not connect
  if connected then
    dict:set("unreachable:" .. key, 0)
    dict:set("alive:" .. key, true)
  elseif dict:incr("unreachable:" .. key, 1, 0) >= h.fall then
    dict:set("alive:" .. key, false)
  end
  if healthy then
    dict:set("fail:" .. key, 0)
    local n = dict:incr("ok:" .. key, 1, 0)
    if dict:get("up:" .. key) == false and n >= h.rise then
      dict:set("up:" .. key, true)
      ngx.log(ngx.WARN, "shs health: ", key, " is up")
    end
  else
    dict:set("ok:" .. key, 0)
    local n = dict:incr("fail:" .. key, 1, 0)
    dict:set("reason:" .. key, reason)
    if dict:get("up:" .. key) ~= false and n >= h.fall then
      dict:set("up:" .. key, false)
      dict:incr("downs:" .. key, 1, 0)
      ngx.log(ngx.WARN, "shs health: ", key, " is down: ", reason)
    end
  end
end

local function check_all(premature)
  if premature then return end
  local threads = {}
  for i, peer in ipairs(config.peers) do
    threads[i] = ngx.thread.spawn(_M.probe, peer, config.health.timeout_ms)
  end
  for i, peer in ipairs(config.peers) do
    local ok, healthy, reason, connected = ngx.thread.wait(threads[i])
    if not ok then healthy, reason, connected = false, "probe crashed: " .. tostring(healthy), true end
    record(peer, healthy, reason, connected)
  end
end

function _M.is_up(name)
  return dict:get("up:" .. name) ~= false -- unknown counts as up until probed
end

-- Accepted a connection in one of its last `fall` probes; unknown counts as alive until probed.
function _M.is_alive(name)
  return dict:get("alive:" .. name) ~= false
end

function _M.alive_count()
  local n = 0
  for _, peer in ipairs(config.peers) do
    if _M.is_alive(peer.name) then n = n + 1 end
  end
  return n
end

function _M.healthy_count()
  local n = 0
  for _, peer in ipairs(config.peers) do
    if _M.is_up(peer.name) then n = n + 1 end
  end
  return n
end

-- Out of rotation now (a request to it timed out), without waiting for `fall` failed probes; the probes bring
-- it back after `rise` successes as usual. Never the last peer up: one slow answer (a busy machine, a cold pool)
-- is no proof that it hangs, and with no peer up routes.access would refuse every request until the probes
-- bring it back; then the probes (`fall`) judge it alone.
function _M.eject(name, reason)
  local other_up = false
  for _, peer in ipairs(config.peers) do
    if peer.name ~= name and _M.is_up(peer.name) then other_up = true end
  end
  if not other_up then return end
  dict:set("ok:" .. name, 0)
  dict:set("reason:" .. name, reason)
  if dict:get("up:" .. name) ~= false then
    dict:set("up:" .. name, false)
    dict:incr("downs:" .. name, 1, 0)
    ngx.log(ngx.WARN, "shs health: ", name, " is down: ", reason)
  end
end

function _M.start()
  if ngx.worker.id() ~= 0 then return end -- one prober for all workers
  local interval = config.health.interval_ms / 1000
  local ok, err = ngx.timer.at(0, check_all)
  if not ok then ngx.log(ngx.ERR, "shs health: first check: ", err) end
  ok, err = ngx.timer.every(interval, check_all)
  if not ok then ngx.log(ngx.ERR, "shs health: cannot start checks: ", err) end
end

return _M
