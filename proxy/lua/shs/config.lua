-- The proxy's settings, given once by init_by_lua from the rendered configuration (JSON).
local cjson = require "cjson.safe"

local _M = { peers = {}, health = {} }

function _M.load(json)
  local cfg, err = cjson.decode(json)
  if not cfg then error("shs proxy config: " .. tostring(err)) end
  if type(cfg.peers) ~= "table" or #cfg.peers == 0 then error("shs proxy config: no upstream peers") end
  _M.peers = {}
  for i, p in ipairs(cfg.peers) do
    local host, port = p:match("^%[?([^%]]+)%]?:(%d+)$")
    if not host then error("shs proxy config: bad peer " .. p) end
    _M.peers[i] = { name = p, host = host, port = tonumber(port) }
  end
  _M.health = cfg.health
  _M.max_stale = cfg.max_stale_seconds
end

return _M
