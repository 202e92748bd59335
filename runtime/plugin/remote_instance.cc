#include "runtime/plugin/remote_instance.h"

#include <boost/json/parse.hpp>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "runtime/log/log.h"
#include "runtime/plugin/health_tracker.h"
#include "runtime/plugin/host_api.h"

extern char** environ;

namespace machi {
namespace {

using wire::Kind;
using wire::Op;
using Clock = std::chrono::steady_clock;

constexpr auto kCallTimeout = std::chrono::seconds(30);
constexpr auto kHealthTimeout = std::chrono::seconds(2);
constexpr auto kStopGrace = std::chrono::seconds(5);

PluginResponse error_response(unsigned status, std::string_view code, std::string_view message,
                              bool retry) {
  PluginResponse r{status, "application/json", json_error_body(code, message), {}};
  if (retry) r.headers.emplace_back("retry-after", "1");
  return r;
}

machi_str view_of(const std::string& s) { return machi_str{s.data(), s.size()}; }

// The host is not trusted: its answer passes the same checks as an in-process plugin's respond()
// (status range, header names and values, size; Set-Cookie dropped).
PluginResponse checked(const PluginResponse& in) {
  std::vector<machi_header> headers;
  headers.reserve(in.headers.size());
  for (const auto& [name, value] : in.headers) headers.push_back({view_of(name), view_of(value)});
  machi_response view{};
  view.struct_size = sizeof(view);
  view.status = in.status;
  view.content_type = view_of(in.content_type);
  view.body = view_of(in.body);
  view.headers = headers.data();
  view.header_count = headers.size();
  PluginResponse out;
  std::string error;
  if (copy_response(&view, out, error) != MACHI_OK) {
    return error_response(502, "plugin_failed", "the mini-app's answer was refused: " + error, false);
  }
  return out;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return "killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "stopped";
}

// Waits up to `grace` for the host to exit, then kills it. How it ended, for the log.
std::string reap(pid_t pid, Clock::duration grace) {
  int status = 0;
  auto until = Clock::now() + grace;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return describe_exit(status);
    if (done < 0 && errno != EINTR) return "gone";
    if (Clock::now() >= until) break;
    ::usleep(5000);
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return describe_exit(status) + " after not exiting in time";
}

}  // namespace

class RemoteInstance::Core : public std::enable_shared_from_this<Core> {
 public:
  Core(RemoteOptions options) : options_(std::move(options)) {}
  Result<std::shared_ptr<Core>> start_first(std::vector<ConfigProblem>& config_problems);
  void stop();  // from the owner's destructor, on any thread

  uint64_t handle_request(const PluginRequest& request, Done done);
  void abandon(uint64_t token);
  Result<std::string> info_card(const Claims& claims, std::string_view locale);
  HealthReport health();
  Result<std::string> export_subject(std::string_view subject);
  Status erase_subject(std::string_view subject);
  size_t deliver_due_events(int64_t now_unix_ms);
  size_t drain_outbox_batch(const Deliver& deliver, size_t limit);
  bool healthy() const;
  std::string unhealthy_reason() const;
  const LoadedPlugin& plugin() const { return *plugin_; }
  pid_t host_pid() const;
  bool failed() const;
  uint64_t restarts() const { return restarts_.load(); }

 private:
  struct InFlight {
    Done done;
    CardResolver resolve_card;
  };
  struct Waiter {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    bool ok = false;
    std::string answer;
  };
  // One host process and what is in flight on it.
  struct Process {
    pid_t pid = 0;
    std::unique_ptr<wire::Channel> channel;
    std::mutex mutex;
    bool dead = false;
    std::map<uint64_t, InFlight> requests;
    std::map<uint64_t, std::shared_ptr<Waiter>> calls;
  };

  // Spawns a host and waits for Ready. Fills plugin metadata into `plugin` when given.
  Result<std::shared_ptr<Process>> start(std::vector<ConfigProblem>* config_problems,
                                         LoadedPlugin* plugin);
  void supervise();
  void serve(const std::shared_ptr<Process>& process);  // reads until the host is gone
  void host_call(Process& process, const wire::Frame& frame);
  void bury(const std::shared_ptr<Process>& process, const std::string& why);
  std::shared_ptr<Process> current() const;
  Result<std::string> call(wire::Op op, std::string_view payload, std::chrono::milliseconds timeout);
  PluginResponse unavailable() const;

  RemoteOptions options_;
  std::shared_ptr<const LoadedPlugin> plugin_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<uint64_t> restarts_{0};
  HealthTracker health_;  // request outcomes, counted as PluginInstance counts them in process
  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  std::shared_ptr<Process> process_;  // null while restarting or failed
  bool stopping_ = false;
  bool failed_ = false;
  std::string last_death_;  // for health()
  std::deque<std::chrono::steady_clock::time_point> deaths_;
  std::thread supervisor_;
};

Result<std::unique_ptr<RemoteInstance>> RemoteInstance::create(
    RemoteOptions options, std::vector<ConfigProblem>& config_problems) {
  auto core = std::make_shared<Core>(std::move(options));
  auto started = core->start_first(config_problems);
  if (!started) return started.status();
  return std::unique_ptr<RemoteInstance>(new RemoteInstance(std::move(started).value()));
}

RemoteInstance::~RemoteInstance() { core_->stop(); }

Result<std::shared_ptr<RemoteInstance::Core>> RemoteInstance::Core::start_first(
    std::vector<ConfigProblem>& config_problems) {
  auto plugin = std::make_shared<LoadedPlugin>(*options_.staged);
  auto started = start(&config_problems, plugin.get());
  if (!started) return started.status();
  plugin_ = std::move(plugin);
  process_ = std::move(started).value();
  // The thread shares ownership: it may outlive the RemoteInstance (see stop()).
  supervisor_ = std::thread([self = shared_from_this()] { self->supervise(); });
  return shared_from_this();
}

void RemoteInstance::Core::stop() {
  std::shared_ptr<Process> process;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    process = process_;
  }
  wake_.notify_all();
  if (process) process->channel->shutdown();  // the supervisor's read ends; the host sees EOF
  if (!supervisor_.joinable()) return;
  // On the supervisor's own thread (an answer it delivered let go of the last reference): it
  // finishes after this returns, holding its own reference.
  if (supervisor_.get_id() == std::this_thread::get_id()) supervisor_.detach();
  else supervisor_.join();
}

Result<std::shared_ptr<RemoteInstance::Core::Process>> RemoteInstance::Core::start(
    std::vector<ConfigProblem>* config_problems, LoadedPlugin* plugin) {
  const InstanceOptions& o = options_.instance;
  const std::string where = "mini-app '" + o.mount_id + "' (out of process): ";
  if (options_.executable.empty()) {
    return Status::error(where + "this runtime does not know its own executable to start a plugin host");
  }
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Status::error(where + "socketpair: " + std::strerror(errno));
  }
  if (fds[1] == 3) {  // dup2(3, 3) would keep close-on-exec set
    int moved = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
    ::close(fds[1]);
    fds[1] = moved;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 3);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);  // nothing else of the runtime's leaks
  std::string exe = options_.executable.string();
  std::string parent = std::to_string(::getpid());
  std::vector<char*> argv = {exe.data(), const_cast<char*>("plugin-host"),
                             const_cast<char*>("--fd"), const_cast<char*>("3"),
                             const_cast<char*>("--parent"), parent.data(), nullptr};
  pid_t pid = 0;
  int spawned = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    return Status::error(where + "cannot start " + exe + ": " + std::strerror(spawned));
  }
  auto process = std::make_shared<Process>();
  process->pid = pid;
  process->channel = std::make_unique<wire::Channel>(fds[0]);

  wire::Encoder init;
  init.str(options_.staged->loaded_from.string()).str(options_.cache_dir.string())
      .str(o.municipality_id).str(o.mount_id).str(o.config_json).str(o.database_file.string())
      .u32(static_cast<uint32_t>(o.deadline.count())).str(o.timezone).i64(o.job_quota)
      .str(o.data_dir.string()).u32(static_cast<uint32_t>(options_.workers));
  Status sent = process->channel->send(Kind::kInit, 0, init.view());
  auto ready = sent ? process->channel->receive(static_cast<int>(options_.start_timeout.count()))
                    : Result<wire::Frame>(sent);
  auto fail = [&](const std::string& why) -> Status {
    process->channel->shutdown();
    std::string how = reap(pid, std::chrono::seconds(1));
    return Status::error(where + why + " (plugin host " + how + ")");
  };
  if (!ready) return fail("the plugin host did not start: " + ready.error());
  if (ready.value().kind != Kind::kReady) return fail("the plugin host answered out of turn");
  wire::Decoder d(ready.value().payload);
  if (d.u8() != 1) {
    std::string error = d.str();
    uint32_t n = d.u32();
    for (uint32_t i = 0; i < n && d.ok(); ++i) {
      std::string path = d.str();
      std::string message = d.str();
      if (config_problems) config_problems->push_back({path, message});
    }
    process->channel->shutdown();
    reap(pid, std::chrono::seconds(1));
    return Status::error(where + error);
  }
  uint32_t abi_major = d.u32();
  uint32_t abi_minor = d.u32();
  uint32_t flags = d.u32();
  std::string id = d.str();
  std::string version = d.str();
  std::string description = d.str();
  d.u32();  // the host's own pid, as it sees it
  if (!d.ok()) return fail("malformed Ready from the plugin host");
  if (plugin) {
    plugin->abi_major = abi_major;
    plugin->abi_minor = abi_minor;
    plugin->flags = flags;
    plugin->id = std::move(id);
    plugin->version = std::move(version);
    plugin->description = std::move(description);
  }
  log_line(LogLevel::kInfo, "plugin-host", "started",
           {{"municipality", o.municipality_id}, {"mount", o.mount_id},
            {"pid", std::to_string(pid)}});
  return process;
}

std::shared_ptr<RemoteInstance::Core::Process> RemoteInstance::Core::current() const {
  std::lock_guard lock(mutex_);
  return process_;
}

pid_t RemoteInstance::Core::host_pid() const {
  auto process = current();
  return process ? process->pid : 0;
}

bool RemoteInstance::Core::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

bool RemoteInstance::Core::healthy() const {
  std::lock_guard lock(mutex_);
  return process_ && !failed_ && health_.healthy();
}

std::string RemoteInstance::Core::unhealthy_reason() const {
  {
    std::lock_guard lock(mutex_);
    if (failed_) return "crash loop: stopped after " + std::to_string(deaths_.size()) + " deaths; last: " + last_death_;
    if (!process_) return "plugin host restarting; last death: " + last_death_;
  }
  return health_.reason();
}

PluginResponse RemoteInstance::Core::unavailable() const {
  std::lock_guard lock(mutex_);
  if (failed_) {
    return error_response(503, "mini_app_failed",
                          "the mini-app '" + options_.instance.mount_id +
                              "' kept crashing and was stopped until the municipality restarts it",
                          false);
  }
  return error_response(503, "mini_app_unavailable",
                        "the mini-app '" + options_.instance.mount_id +
                            "' is restarting; retry shortly", true);
}

void RemoteInstance::Core::supervise() {
  std::shared_ptr<Process> process = current();
  for (;;) {
    if (process) serve(process);
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    auto now = Clock::now();
    deaths_.push_back(now);
    while (!deaths_.empty() && now - deaths_.front() > options_.crash_window) deaths_.pop_front();
    if (static_cast<int>(deaths_.size()) >= options_.crash_limit) {
      failed_ = true;
      log_line(LogLevel::kError, "plugin-host",
               "crash loop: the mini-app is marked failed until a manifest reload",
               {{"mount", options_.instance.mount_id},
                {"deaths", std::to_string(deaths_.size())},
                {"window_ms", std::to_string(options_.crash_window.count())},
                {"last", last_death_}});
      wake_.wait(lock, [&] { return stopping_; });
      return;
    }
    auto backoff = options_.first_backoff;
    for (size_t i = 1; i < deaths_.size() && backoff < options_.max_backoff; ++i) backoff *= 2;
    backoff = std::min(backoff, options_.max_backoff);
    if (wake_.wait_for(lock, backoff, [&] { return stopping_; })) return;
    lock.unlock();
    auto started = start(nullptr, nullptr);
    if (!started) {
      log_line(LogLevel::kError, "plugin-host", "restart failed",
               {{"mount", options_.instance.mount_id}, {"reason", started.error()}});
      std::lock_guard relock(mutex_);
      last_death_ = started.error();
      process = nullptr;
      continue;
    }
    process = std::move(started).value();
    lock.lock();
    if (stopping_) {
      lock.unlock();
      process->channel->shutdown();
      reap(process->pid, kStopGrace);
      return;
    }
    process_ = process;
    lock.unlock();
    restarts_.fetch_add(1);
    if (options_.on_restart) options_.on_restart();
  }
}

void RemoteInstance::Core::serve(const std::shared_ptr<Process>& process) {
  for (;;) {
    auto frame = process->channel->receive();
    if (!frame) return bury(process, frame.error());
    wire::Frame& f = frame.value();
    switch (f.kind) {
      case Kind::kResponse: {
        InFlight entry;
        {
          std::lock_guard lock(process->mutex);
          auto it = process->requests.find(f.id);
          if (it == process->requests.end()) break;  // abandoned: answered elsewhere
          entry = std::move(it->second);
          process->requests.erase(it);
        }
        wire::Decoder d(f.payload);
        PluginResponse response = d.response();
        if (d.ok() && response.hook_failed) health_.failure("on_request failed internally (see the plugin host's log)");
        else if (d.ok()) health_.success();
        entry.done(d.ok() ? checked(response)
                          : error_response(502, "plugin_failed",
                                           "the mini-app's plugin host answered a malformed response",
                                           false));
        break;
      }
      case Kind::kReply: {
        std::shared_ptr<Waiter> waiter;
        {
          std::lock_guard lock(process->mutex);
          auto it = process->calls.find(f.id);
          if (it == process->calls.end()) break;  // timed out already
          waiter = it->second;
        }
        wire::Decoder d(f.payload);
        bool ok = d.u8() == 1;
        std::string answer = d.str();
        std::lock_guard lock(waiter->mutex);
        waiter->ok = ok && d.ok();
        waiter->answer = d.ok() ? std::move(answer) : "malformed reply from the plugin host";
        waiter->done = true;
        waiter->cv.notify_all();
        break;
      }
      case Kind::kHostCall:
        host_call(*process, f);
        break;
      default:
        process->channel->shutdown();
        return bury(process, "protocol error: unexpected frame kind " +
                                 std::to_string(static_cast<int>(f.kind)));
    }
  }
}

void RemoteInstance::Core::host_call(Process& process, const wire::Frame& frame) {
  const InstanceOptions& o = options_.instance;
  wire::Decoder d(frame.payload);
  Op op = static_cast<Op>(d.u8());
  wire::Encoder out;
  switch (op) {
    case Op::kPublish: {  // checked again here: the host is not trusted
      std::string channel = d.str();
      std::string message = d.str();
      uint32_t delivered = 0;
      if (d.ok() && o.live && LiveHub::valid_channel(channel) && message.size() <= 64 * 1024) {
        delivered = o.live->publish(LiveHub::channel_key(o.municipality_id, o.mount_id, channel),
                                    message);
      }
      out.u32(delivered);
      break;
    }
    case Op::kCardResolve: {
      uint64_t request = d.u64();
      std::string card = d.str();
      CardResolver resolve;
      {
        std::lock_guard lock(process.mutex);
        auto it = process.requests.find(request);
        if (it != process.requests.end()) resolve = it->second.resolve_card;
      }
      std::string text;
      bool ok = false;
      if (!d.ok() || !resolve) text = "card_resolve: only while handling a request from staff";
      else ok = resolve(card, text);
      out.u8(ok ? 1 : 0).str(text);
      break;
    }
    case Op::kKnownSubject: {
      std::string subject = d.str();
      out.bytes(d.ok() && o.known_subject && o.known_subject(subject) ? "1" : "0");
      break;
    }
    default:
      break;  // an empty answer: the host reports a failure
  }
  process.channel->send(Kind::kHostReply, frame.id, out.view());
}

void RemoteInstance::Core::bury(const std::shared_ptr<Process>& process, const std::string& why) {
  bool stopping;
  {
    std::lock_guard lock(mutex_);
    if (process_ == process) process_.reset();
    stopping = stopping_;
  }
  process->channel->shutdown();
  std::string how = reap(process->pid, stopping ? Clock::duration(kStopGrace)
                                                : Clock::duration(std::chrono::seconds(1)));
  std::map<uint64_t, InFlight> requests;
  std::map<uint64_t, std::shared_ptr<Waiter>> calls;
  {
    std::lock_guard lock(process->mutex);
    process->dead = true;
    requests.swap(process->requests);
    calls.swap(process->calls);
  }
  for (auto& [id, waiter] : calls) {
    std::lock_guard lock(waiter->mutex);
    waiter->answer = "the plugin host stopped";
    waiter->done = true;
    waiter->cv.notify_all();
  }
  const std::string& mount = options_.instance.mount_id;
  for (auto& [id, entry] : requests) {
    entry.done(stopping ? error_response(503, "mini_app_unavailable",
                                         "the mini-app was stopped; please retry", true)
                        : error_response(502, "mini_app_crashed",
                                         "the mini-app '" + mount + "' stopped (" + how +
                                             ") while answering this request",
                                         false));
  }
  if (stopping) return;
  {
    std::lock_guard lock(mutex_);
    last_death_ = how;
  }
  log_line(LogLevel::kError, "plugin-host", "plugin host died",
           {{"municipality", options_.instance.municipality_id}, {"mount", mount},
            {"pid", std::to_string(process->pid)}, {"how", how}, {"reason", why},
            {"in_flight", std::to_string(requests.size())}});
}

uint64_t RemoteInstance::Core::handle_request(const PluginRequest& request, Done done) {
  auto process = current();
  if (!process) {
    done(unavailable());
    return 0;
  }
  uint64_t id = next_id_.fetch_add(1);
  {
    std::lock_guard lock(process->mutex);
    if (process->dead) {
      done(unavailable());
      return 0;
    }
    process->requests.emplace(id, InFlight{std::move(done), request.resolve_card});
  }
  wire::Encoder e;
  e.request(request);
  if (Status sent = process->channel->send(Kind::kRequest, id, e.view()); !sent) {
    InFlight entry;
    {
      std::lock_guard lock(process->mutex);
      auto it = process->requests.find(id);
      if (it == process->requests.end()) return 0;  // answered by the supervisor meanwhile
      entry = std::move(it->second);
      process->requests.erase(it);
    }
    entry.done(unavailable());
    return 0;
  }
  return id;
}

void RemoteInstance::Core::abandon(uint64_t token) {
  auto process = current();
  if (!process) return;
  bool was_pending;
  {
    std::lock_guard lock(process->mutex);
    was_pending = process->requests.erase(token) > 0;
  }
  if (was_pending) process->channel->send(Kind::kAbandon, token, {});
}

Result<std::string> RemoteInstance::Core::call(Op op, std::string_view payload,
                                         std::chrono::milliseconds timeout) {
  auto process = current();
  if (!process) {
    return Status::error("the mini-app '" + options_.instance.mount_id +
                         "' has no running plugin host (restarting or failed)");
  }
  auto waiter = std::make_shared<Waiter>();
  uint64_t id = next_id_.fetch_add(1);
  {
    std::lock_guard lock(process->mutex);
    if (process->dead) return Status::error("the plugin host stopped");
    process->calls.emplace(id, waiter);
  }
  wire::Encoder e;
  e.u8(static_cast<uint8_t>(op)).bytes(payload);
  Status sent = process->channel->send(Kind::kCall, id, e.view());
  bool done = false;
  if (sent) {
    std::unique_lock lock(waiter->mutex);
    done = waiter->cv.wait_for(lock, timeout, [&] { return waiter->done; });
  }
  {
    std::lock_guard lock(process->mutex);
    process->calls.erase(id);
  }
  if (!sent) return sent;
  if (!done) {
    return Status::error("the plugin host did not answer within " +
                         std::to_string(timeout.count()) + " ms");
  }
  std::lock_guard lock(waiter->mutex);
  if (!waiter->ok) return Status::error(waiter->answer);
  return std::move(waiter->answer);
}

Result<std::string> RemoteInstance::Core::info_card(const Claims& claims, std::string_view locale) {
  wire::Encoder e;
  e.claims(claims).str(locale);
  return call(Op::kInfoCard, e.view(), options_.instance.deadline);
}

HealthReport RemoteInstance::Core::health() {
  HealthReport report;
  {
    std::lock_guard lock(mutex_);
    if (failed_ || !process_) {
      report.healthy = false;
      report.reason = (failed_ ? "crash loop: stopped after " + std::to_string(deaths_.size()) +
                                     " deaths; last: "
                               : "plugin host restarting; last death: ") + last_death_;
      return report;
    }
  }
  auto answer = call(Op::kHealth, {}, kHealthTimeout);
  if (!answer) {
    report.healthy = false;
    report.reason = answer.error();
    return report;
  }
  wire::Decoder d(answer.value());
  report.healthy = d.u8() == 1;
  report.reason = d.str();
  report.detail_json = d.str();
  if (!d.ok()) report = {false, "malformed health answer from the plugin host", ""};
  // The host's instance is fed the same requests: its healthy answer (its tracker, or the
  // plugin's own check) is the same evidence as in process.
  if (report.healthy) health_.recover();
  return report;
}

Result<std::string> RemoteInstance::Core::export_subject(std::string_view subject) {
  wire::Encoder e;
  e.str(subject);
  auto data = call(Op::kExport, e.view(), kCallTimeout);
  boost::system::error_code ec;
  if (data) boost::json::parse(data.value(), ec);  // the host checked it; it is not trusted
  if (ec) return Status::error("the plugin host answered an export that is not JSON");
  return data;
}

Status RemoteInstance::Core::erase_subject(std::string_view subject) {
  wire::Encoder e;
  e.str(subject);
  return call(Op::kErase, e.view(), kCallTimeout).status();
}

size_t RemoteInstance::Core::deliver_due_events(int64_t now_unix_ms) {
  wire::Encoder e;
  e.i64(now_unix_ms);
  auto answer = call(Op::kDeliverEvents, e.view(), kCallTimeout);
  if (!answer) return 0;  // a host that is down delivers nothing now; the jobs stay due
  wire::Decoder d(answer.value());
  uint64_t delivered = d.u64();
  return d.ok() ? delivered : 0;
}

size_t RemoteInstance::Core::drain_outbox_batch(const Deliver& deliver, size_t limit) {
  wire::Encoder e;
  e.u32(static_cast<uint32_t>(limit));
  auto answer = call(Op::kOutboxPeek, e.view(), kCallTimeout);
  if (!answer) return 0;
  wire::Decoder d(answer.value());
  auto items = d.outbox();
  if (!d.ok() || items.empty() || items.size() > limit || !deliver(items)) return 0;
  wire::Encoder remove;
  remove.i64(items.back().seq);
  auto removed = call(Op::kOutboxRemove, remove.view(), kCallTimeout);
  if (!removed) {
    log_line(LogLevel::kError, "notify", removed.error(), {{"mount", options_.instance.mount_id}});
    return 0;
  }
  return items.size();
}

uint64_t RemoteInstance::handle_request(const PluginRequest& request, Done done) {
  return core_->handle_request(request, std::move(done));
}
void RemoteInstance::abandon(uint64_t token) { core_->abandon(token); }
Result<std::string> RemoteInstance::info_card(const Claims& claims, std::string_view locale) {
  return core_->info_card(claims, locale);
}
HealthReport RemoteInstance::health() { return core_->health(); }
Result<std::string> RemoteInstance::export_subject(std::string_view subject) {
  return core_->export_subject(subject);
}
Status RemoteInstance::erase_subject(std::string_view subject) { return core_->erase_subject(subject); }
size_t RemoteInstance::deliver_due_events(int64_t now_unix_ms) {
  return core_->deliver_due_events(now_unix_ms);
}
size_t RemoteInstance::drain_outbox_batch(const Deliver& deliver, size_t limit) {
  return core_->drain_outbox_batch(deliver, limit);
}
bool RemoteInstance::healthy() const { return core_->healthy(); }
std::string RemoteInstance::unhealthy_reason() const { return core_->unhealthy_reason(); }
const LoadedPlugin& RemoteInstance::plugin() const { return core_->plugin(); }
pid_t RemoteInstance::host_pid() const { return core_->host_pid(); }
bool RemoteInstance::failed() const { return core_->failed(); }
uint64_t RemoteInstance::restarts() const { return core_->restarts(); }

}  // namespace machi
