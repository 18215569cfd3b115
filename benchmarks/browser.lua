-- wrk's connections keep cookies as a browser does: a Set-Cookie replaces (or, empty, removes) the cookie of
-- that name in what the next requests send. Without it every request would carry the cookie of the sign-in,
-- and the server would renew that session on every request, which no browser makes it do.
local jar, sent = {}, nil

local function remember(name, value)
  if value == "" then jar[name] = nil else jar[name] = value end
  local parts = {}
  for key, kept in pairs(jar) do parts[#parts + 1] = key .. "=" .. kept end
  sent = table.concat(parts, "; ")
end

function init(args)
  for pair in string.gmatch(wrk.headers["Cookie"] or "", "[^;]+") do
    local name, value = string.match(pair, "^%s*([^=]+)=(.*)$")
    if name then remember(name, value) end
  end
end

function request()
  if sent and sent ~= "" then wrk.headers["Cookie"] = sent else wrk.headers["Cookie"] = nil end
  return wrk.format()
end

function response(status, headers, body)
  local set = headers["Set-Cookie"]
  if set then
    local name, value = string.match(set, "^([^=]+)=([^;]*)")
    if name then remember(name, value) end
  end
end
