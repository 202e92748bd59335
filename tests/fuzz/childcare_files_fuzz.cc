// Fuzzes the childcare mini-app's data files (plugins/childcare): the nursery vacancy CSV
// (parse_nurseries), the vaccination rules (parse_rules) and the notices (parse_info). The first
// byte picks the file (0: nurseries.csv, 1: vaccines.json, 2: info.json); the rest is its text.
// Oracles: a refusal always names a problem; an accepted file has no problems.
#include "info.h"
#include "nurseries.h"
#include "rules.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using machi::fuzz::fail;
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto file = childcare::parse_nurseries(text, "nurseries.csv");
      for (const auto& p : file.problems) {
        if (!p.starts_with("nurseries.csv")) fail("childcare_files", "problem without the file", p);
      }
      break;
    }
    case 1: {
      std::vector<machi::sdk::ConfigProblem> problems;
      auto rules = childcare::parse_rules(text, problems);
      if (!rules && problems.empty()) fail("childcare_files", "rules refused without a problem", "");
      if (rules && !problems.empty()) fail("childcare_files", "rules accepted with problems", problems.front().message);
      break;
    }
    default: {
      std::vector<machi::sdk::ConfigProblem> problems;
      auto info = childcare::parse_info(text, problems);
      if (!info && problems.empty()) fail("childcare_files", "notices refused without a problem", "");
      if (info && !problems.empty()) fail("childcare_files", "notices accepted with problems", problems.front().message);
      break;
    }
  }
  return 0;
}
