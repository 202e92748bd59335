-- wrk script for bench/run_soak.sh: a resident's realistic mix, in rotation — the home screen
-- (mini-app list, visitor home), information cards, garbage dates, library search, and
-- authenticated plugin calls — with the bearer token from $TOKEN on the resident's requests.
-- Requests are formatted once in init(); run_soak.sh checks every path once with curl first, so
-- wrk's "Non-2xx" count means a failure under load, not a wrong path.
local token = os.getenv("TOKEN")
local area = os.getenv("AREA") or "1%3A%E4%BB%8A%E5%AE%BF%E7%94%BA"  -- 1:今宿町, URL-encoded
local plan = {
  { "/api/v1/me/apps", true },
  { "/api/v1/me/cards", true },
  { "/api/v1/apps?audience=visitors", false },
  { "/apps/garbage/next?area=" .. area, false },
  { "/apps/library/search?q=%E5%A4%8F%E7%9B%AE", false },
  { "/apps/garbage/me", true },
  { "/apps/bousai/me/progress", true },
  { "/apps/counter/", false },
}
local requests = {}
init = function(args)
  for i, p in ipairs(plan) do
    local headers = {}
    if p[2] then headers["Authorization"] = "Bearer " .. token end
    requests[i] = wrk.format("GET", p[1], headers)
  end
end
local i = 0
request = function()
  i = i % #requests + 1
  return requests[i]
end
