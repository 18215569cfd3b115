-- wrk's connections keep cookies as a browser does: a Set-Cookie replaces (or, empty, removes) the cookie of
-- that name in what the next requests send. Without it every request would carry the cookie of the sign-in,
-- and the server would renew that session on every request, which no browser makes it do.
-- Every answer must be a 200 holding the page's marker (the script's argument): a redirect to the sign-in page
-- or an error page is fast, and counted here as a failure rather than as throughput.
local jar, sent, marker, failures = {}, nil, nil, 0
local threads = {}

local function remember(name, value)
  if value == "" then jar[name] = nil else jar[name] = value end
  local parts = {}
  for key, kept in pairs(jar) do parts[#parts + 1] = key .. "=" .. kept end
  sent = table.concat(parts, "; ")
end

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  marker = args[1]
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
  if status ~= 200 or (marker and not string.find(body or "", marker, 1, true)) then
    failures = failures + 1
  end
  local set = headers["Set-Cookie"]
  if set then
    local name, value = string.match(set, "^([^=]+)=([^;]*)")
    if name then remember(name, value) end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("failures") or 0) end
  io.write(string.format("Marker failures: %d\n", total))
end
