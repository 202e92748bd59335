#!/usr/bin/env python3
"""Mints N distinct valid access tokens from a running machi: registers one account, then uses
refresh-token rotation (no password derivation per token). Usage: mint_tokens.py BASE_URL N OUT"""
import json, sys, urllib.request

base, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req) as r:
        return json.load(r)

first = post("/api/v1/auth/register", {"login": "bench@example.jp",
                                      "password": "benchmark password", "display_name": "bench"})
refresh, tokens = first["refresh_token"], [first["access_token"]]
while len(tokens) < count:
    answer = post("/api/v1/auth/token", {"grant_type": "refresh_token", "refresh_token": refresh})
    refresh = answer["refresh_token"]
    tokens.append(answer["access_token"])
with open(out, "w") as f:
    f.write("\n".join(tokens) + "\n")
print(f"{len(set(tokens))} distinct tokens")
