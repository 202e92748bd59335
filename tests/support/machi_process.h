// One real `machi serve` child process for tests that need a whole process: kill -9 and restart
// (crash durability), a lowered file-descriptor limit (connection floods), its /proc entries.
// Its output goes to <dir>/machi.log.
#pragma once

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_client.h"

namespace machi::test {

inline uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::address_v4::loopback(), 0});
  return a.local_endpoint().port();
}

struct MachiProcessOptions {
  std::filesystem::path manifest;   // default: <dir>/m.json
  std::filesystem::path plugin_dir = MACHI_FIXTURE_DIR;
  std::vector<std::string> extra_args;
  rlim_t nofile = 0;  // > 0: the child's RLIMIT_NOFILE (soft and hard)
};

class MachiProcess {
 public:
  MachiProcess(const std::filesystem::path& dir, uint16_t port, MachiProcessOptions options = {})
      : port_(port) {
    std::filesystem::path manifest = options.manifest.empty() ? dir / "m.json" : options.manifest;
    std::vector<std::string> args = {MACHI_BINARY, "serve", "--manifest", manifest.string(), "--plugin-dir",
                                     options.plugin_dir.string(), "--data", (dir / "data").string(),
                                     "--listen", "127.0.0.1:" + std::to_string(port)};
    args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
    std::fflush(nullptr);  // or the child writes the parent's buffered output again
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // a test that dies (a crash, a sanitizer abort) leaves no server behind
      std::string log = (dir / "machi.log").string();
      if (!freopen(log.c_str(), "a", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(126);
      if (options.nofile > 0) {
        rlimit limit{options.nofile, options.nofile};
        setrlimit(RLIMIT_NOFILE, &limit);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(MACHI_BINARY, argv.data());
      _exit(127);
    }
    for (int i = 0; i < 300; ++i) {  // ready when it answers
      try {
        HttpClient c(port_);
        if (c.request("GET", "/healthz").status == 200) return;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("machi serve did not start");
  }
  ~MachiProcess() { kill9(); }
  MachiProcess(const MachiProcess&) = delete;
  MachiProcess& operator=(const MachiProcess&) = delete;

  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool alive() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }
  pid_t pid() const { return pid_; }
  // Open file descriptors of the child (/proc/PID/fd).
  size_t open_descriptors() const {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++n;
    }
    return n;
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_;
};

}  // namespace machi::test
