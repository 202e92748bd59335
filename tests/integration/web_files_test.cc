// The resident web app's static files: loaded from a real directory, served by the real server
// at the site root with their CSP, revalidated by ETag, nothing outside the directory reachable.
#include <doctest/doctest.h>

#include <fstream>

#include "runtime/routing/web_files.h"
#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("web files: what is loaded and what is refused, each naming the file") {
  ScratchDir dir;
  fs::path root = dir / "web";
  write(root / "index.html", "<!doctype html><title>x</title>");
  write(root / "app.js", "export {};");
  write(root / "i18n" / "ja.json", "{}");
  write(root / ".git" / "config", "secret");  // hidden: never served
  write(root / ".env.txt", "secret");
  fs::create_symlink("/etc/passwd", root / "passwd.txt");  // a link is not followed
  auto web = WebFiles::load(root);
  REQUIRE_MESSAGE(web, web.error());
  CHECK(web.value()->size() == 3);
  CHECK(web.value()->has("/"));
  CHECK(web.value()->has("/i18n/ja.json"));
  CHECK_FALSE(web.value()->has("/.env.txt"));
  CHECK_FALSE(web.value()->has("/passwd.txt"));

  write(root / "notes.exe", "MZ");
  auto unknown = WebFiles::load(root);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().find("notes.exe") != std::string::npos);
  fs::remove(root / "notes.exe");

  write(root / "big.js", std::string(WebFiles::kMaxFileBytes + 1, 'x'));
  auto big = WebFiles::load(root);
  REQUIRE_FALSE(big);
  CHECK(big.error().find("big.js") != std::string::npos);
  fs::remove(root / "big.js");

  fs::remove(root / "index.html");
  auto no_index = WebFiles::load(root);
  REQUIRE_FALSE(no_index);
  CHECK(no_index.error().find("no index.html") != std::string::npos);
  CHECK_FALSE(WebFiles::load(dir / "missing"));
}

TEST_CASE("web files: served at the site root with the shell's CSP, revalidated by ETag") {
  TestServer s;
  REQUIRE(s.load("m.json", manifest_json("demo", "localhost", R"({"id": "notes-a", "name": "A", "plugin": "notes.so"})")).empty());
  fs::path root = s.dir / "web";
  write(root / "index.html", "<!doctype html><title>町</title>");
  write(root / "app.js", "console.log(1);");
  write(root / "i18n" / "en.json", R"({"home": "Home"})");
  auto web = WebFiles::load(root);
  REQUIRE(web);
  s.router->set_web(web.value());
  HttpClient c(s.port());

  Reply index = c.get("/", "localhost");
  REQUIRE(index.status == 200);
  CHECK(index.body == "<!doctype html><title>町</title>");
  CHECK(index.headers["content-type"] == "text/html; charset=utf-8");
  CHECK(index.headers["content-security-policy"].find("script-src 'self'") != std::string::npos);
  CHECK(index.headers["content-security-policy"].find("frame-ancestors 'none'") != std::string::npos);
  CHECK(index.headers["x-content-type-options"] == "nosniff");
  CHECK(index.headers["cache-control"] == "no-cache");
  std::string etag = index.headers["etag"];
  REQUIRE(etag.size() == 34);
  CHECK(c.get("/app.js", "localhost").headers["content-type"] == "text/javascript; charset=utf-8");
  CHECK(c.get("/i18n/en.json", "localhost").body == R"({"home": "Home"})");

  Reply again = c.request("GET", "/", "localhost", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(c.request("GET", "/", "localhost", {{"If-None-Match", "\"other\""}}).status == 200);
  CHECK(c.get("/app.js", "localhost").headers["etag"] != etag);

  CHECK(c.request("POST", "/", "localhost", {}, "x").status == 405);
  for (const char* outside : {"/../m.json", "/i18n/../app.js", "/%2e%2e/m.json", "//etc/passwd", "/nothing.js"}) {
    CHECK_MESSAGE(c.get(outside, "localhost").status == 404, outside);
  }
  // The API and the mini-apps keep their routes; a host no manifest lists gets no shell.
  CHECK(c.get("/api/v1/apps", "localhost").status == 200);
  CHECK(c.get("/apps/notes-a/pid", "localhost").status == 200);
  CHECK(c.get("/", "elsewhere.example").status == 404);
}
