// Benchmark plugin: answers {"message":"hello"} to every request. Built twice: inline
// (non-blocking, runs on the I/O thread) and pool (blocking, runs on the worker pool).
#include <machi/sdk/sdk.h>

using namespace machi::sdk;

class BenchAnswer : public Plugin {
 public:
  using Plugin::Plugin;
  void handle(const Request&, Response& response) override {
    response.text(R"({"message":"hello"})", "application/json");
  }
};

MACHI_PLUGIN(BenchAnswer, BENCH_ID, "1.0.0", "benchmark answer", BENCH_FLAGS)
