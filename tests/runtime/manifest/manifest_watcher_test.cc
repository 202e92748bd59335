#include "runtime/manifest/manifest_watcher.h"

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/support/scratch_dir.h"

using namespace machi;
using namespace std::chrono_literals;

TEST_CASE("the watcher reports a renamed-in manifest once (debounced) and ticks on its timer") {
  test::ScratchDir dir;
  std::atomic<int> changes{0}, ticks{0};
  {
    ManifestWatcher watcher({dir.path()}, 50ms, [&] { changes++; });
    watcher.every(20ms, [&] { ticks++; });
    REQUIRE(watcher.start().is_ok());
    // An editor's save: write a temporary file, rename it over the manifest, several events.
    for (int i = 0; i < 3; ++i) {
      std::ofstream(dir / "city.json.tmp") << "{}";
      std::filesystem::rename(dir / "city.json.tmp", dir / "city.json");
    }
    std::ofstream(dir / "notes.txt") << "ignored: not .json or .so";
    std::this_thread::sleep_for(300ms);
  }  // destruction stops the loop
  CHECK(changes.load() == 1);
  CHECK(ticks.load() >= 5);
}

TEST_CASE("a directory that cannot be watched is a clear error; every timer ticks all the same") {
  test::ScratchDir dir;
  std::atomic<int> fast{0}, slow{0}, changes{0};
  {
    ManifestWatcher watcher({"/nonexistent/machi-dir", dir.path()}, 30ms, [&] { changes++; });
    watcher.every(10ms, [&] { fast++; });
    watcher.every(40ms, [&] { slow++; });  // a second timer: both run (scheduler + key rotation)
    auto started = watcher.start();
    REQUIRE_FALSE(started.is_ok());
    CHECK(started.message().find("/nonexistent/machi-dir") != std::string::npos);
    std::ofstream(dir / "city.json") << "{}";  // the other directory is still watched
    std::this_thread::sleep_for(250ms);
  }
  CHECK(fast.load() >= 10);
  CHECK(slow.load() >= 3);
  CHECK(slow.load() < fast.load());
  CHECK(changes.load() == 1);
}
