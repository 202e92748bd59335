-- wrk script: GET PATH with Authorization: Bearer <token>, cycling through the tokens in the
-- file $TOKENS (one a line). With TOKENS unset, the same requests without Authorization, so both
-- runs pay the same client-side cost. Requests are formatted once, up front: formatting a
-- 600-byte header per request made wrk, not the server, the bottleneck.
-- Built in init(): only then has wrk set the Host header that wrk.format adds.
local path = os.getenv("BENCH_PATH") or "/apps/hello/"
local requests = {}
init = function(args)
  local file = os.getenv("TOKENS")
  if file then
    for line in io.lines(file) do
      if #line > 0 then
        requests[#requests + 1] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. line })
      end
    end
  else
    requests[1] = wrk.format("GET", path)
  end
end
local i = 0
request = function()
  i = i % #requests + 1
  return requests[i]
end
