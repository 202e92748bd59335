#include "runtime/plugin/plugin_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/plugin/plugin_loader.h"

extern char** environ;

namespace machi {
namespace {

constexpr size_t kMaxAnswer = 4096;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Status probe_plugin_in_child(const std::filesystem::path& executable, const std::filesystem::path& file,
                             std::chrono::milliseconds timeout) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // nothing of the runtime's leaks
  std::string exe = executable.string();
  std::string target = file.string();
  std::vector<char*> argv = {exe.data(), const_cast<char*>("plugin-probe"), target.data(), nullptr};
  pid_t pid = 0;
  int spawned = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    return Status::error("cannot start " + exe + " to test the build: " + std::strerror(spawned));
  }
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    char buffer[1024];
    ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child is done (or closed its output)
    if (answer.size() < kMaxAnswer) answer.append(buffer, static_cast<size_t>(std::min<ssize_t>(n, kMaxAnswer)));
  }
  ::close(out[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  answer = trimmed(answer);
  if (timed_out) {
    return Status::error("opening it in a test process did not finish within " +
                         std::to_string(timeout.count()) + " ms (a constructor that hangs?)");
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return Status::error(std::string("opening it in a test process crashed it (signal ") +
                         (name ? std::string("SIG") + name : std::to_string(sig)) +
                         "): the file is damaged, or its code crashes while loading");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && answer.starts_with("ok")) return Status::ok();
  // The child's refusal already says what is wrong ("plugin FILE: …"): keep what follows.
  if (auto colon = answer.find(": "); answer.starts_with("plugin ") && colon != std::string::npos) {
    answer = answer.substr(colon + 2);
  }
  return Status::error(answer.empty() ? "the test process failed (exit " + std::to_string(WEXITSTATUS(status)) + ")"
                                      : answer);
}

int run_plugin_probe(const std::filesystem::path& file) {
  auto plugin = open_plugin_file(file);
  if (!plugin) {
    std::printf("%s\n", plugin.error().c_str());
    std::fflush(stdout);
    ::_exit(1);
  }
  std::printf("ok %s %s\n", plugin.value()->id.c_str(), plugin.value()->version.c_str());
  std::fflush(stdout);
  ::_exit(0);  // never run the plugin's destructors or atexit handlers here
}

}  // namespace machi
