#include "runtime/routing/home_order.h"

#include <doctest/doctest.h>

using machi::HomeEntry;
using machi::merge_home_order;

namespace {

std::string ids(const std::vector<HomeEntry>& entries) {
  std::string out;
  for (const auto& e : entries) out += (out.empty() ? "" : " ") + e.id + (e.hidden ? "*" : "");
  return out;
}

}  // namespace

TEST_CASE("no saved order: the manifest order") {
  CHECK(ids(merge_home_order({}, {"bousai", "garbage", "library"})) == "bousai garbage library");
}

TEST_CASE("the saved order and hidden flags are kept") {
  CHECK(ids(merge_home_order({{"library", false}, {"bousai", true}, {"garbage", false}},
                             {"bousai", "garbage", "library"})) == "library bousai* garbage");
}

TEST_CASE("a mini-app added later appears after its manifest predecessor") {
  // Manifest: bousai garbage counter library; the resident saved before "counter" existed.
  auto merged = merge_home_order({{"library", false}, {"garbage", false}, {"bousai", false}},
                                 {"bousai", "garbage", "counter", "library"});
  CHECK(ids(merged) == "library garbage counter bousai");
  // A new first mini-app goes to the front.
  CHECK(ids(merge_home_order({{"garbage", false}}, {"alert", "garbage"})) == "alert garbage");
}

TEST_CASE("a disabled mini-app disappears and comes back where it was") {
  std::vector<HomeEntry> saved = {{"library", false}, {"childcare", true}, {"garbage", false}};
  CHECK(ids(merge_home_order(saved, {"garbage", "library"})) == "library garbage");
  CHECK(ids(merge_home_order(saved, {"garbage", "childcare", "library"})) == "library childcare* garbage");
}

TEST_CASE("duplicates and unknown ids in a saved list are ignored") {
  CHECK(ids(merge_home_order({{"a", false}, {"a", true}, {"ghost", false}}, {"a", "b"})) == "a b");
}
