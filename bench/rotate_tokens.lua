-- wrk script: GET PATH with Authorization: Bearer <token>, cycling through the tokens in the
-- file $TOKENS (one a line). With TOKENS unset, the same requests without Authorization, so both
-- runs pay the same client-side cost.
local path = os.getenv("BENCH_PATH") or "/apps/hello/"
local tokens = {}
local file = os.getenv("TOKENS")
if file then
  for line in io.lines(file) do
    if #line > 0 then tokens[#tokens + 1] = "Bearer " .. line end
  end
end
local i = 0
request = function()
  if #tokens == 0 then return wrk.format("GET", path) end
  i = i % #tokens + 1
  return wrk.format("GET", path, { ["Authorization"] = tokens[i] })
end
