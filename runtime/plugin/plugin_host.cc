#include "runtime/plugin/plugin_host.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "runtime/dispatch/worker_pool.h"
#include "runtime/log/log.h"
#include "runtime/plugin/host_wire.h"
#include "runtime/plugin/plugin_instance.h"

namespace machi {
namespace {

using wire::Kind;
using wire::Op;

// How long a host function waits for the runtime's answer.
constexpr auto kAskTimeout = std::chrono::seconds(10);

class Host {
 public:
  explicit Host(int fd) : channel_(fd) {}
  int run();

 private:
  bool mount(const wire::Frame& init);
  void refuse(const std::string& error, const std::vector<ConfigProblem>& problems = {});
  void on_request(uint64_t id, const std::string& payload);
  void on_abandon(uint64_t id);
  void on_call(uint64_t id, const std::string& payload);
  void answer_host_call(const wire::Frame& frame);
  void reply(uint64_t id, bool ok, std::string_view data);
  Result<std::string> ask_runtime(Op op, std::string_view payload);
  void send_response(uint64_t id, const PluginResponse& response);

  struct Waiter {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    bool failed = false;  // the host is stopping
    std::string answer;
  };

  wire::Channel channel_;
  std::string mount_id_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<PluginInstance> instance_;
  std::mutex mutex_;  // guards what follows
  std::set<uint64_t> running_;    // requests whose on_request has not returned
  std::set<uint64_t> abandoned_;  // … and the runtime gave up on meanwhile
  std::set<uint64_t> answered_;   // … and were answered meanwhile
  std::map<uint64_t, uint64_t> pending_;  // request id → pending token
  std::map<uint64_t, std::shared_ptr<Waiter>> waiters_;
  uint64_t next_ask_ = 1;
  bool reading_ = false;  // host functions can be asked only while frames are read
};

void Host::send_response(uint64_t id, const PluginResponse& response) {
  wire::Encoder e;
  e.response(response);
  channel_.send(Kind::kResponse, id, e.view());  // the runtime is gone if this fails: nobody waits
}

void Host::reply(uint64_t id, bool ok, std::string_view data) {
  wire::Encoder e;
  e.u8(ok ? 1 : 0).str(data);
  channel_.send(Kind::kReply, id, e.view());
}

void Host::refuse(const std::string& error, const std::vector<ConfigProblem>& problems) {
  wire::Encoder e;
  e.u8(0).str(error).u32(static_cast<uint32_t>(problems.size()));
  for (const auto& p : problems) e.str(p.path).str(p.message);
  channel_.send(Kind::kReady, 0, e.view());
}

Result<std::string> Host::ask_runtime(Op op, std::string_view payload) {
  auto waiter = std::make_shared<Waiter>();
  uint64_t id;
  {
    std::lock_guard lock(mutex_);
    if (!reading_) return Status::error("the runtime cannot be asked now (the host is starting or stopping)");
    id = next_ask_++;
    waiters_[id] = waiter;
  }
  wire::Encoder e;
  e.u8(static_cast<uint8_t>(op)).bytes(payload);
  Status sent = channel_.send(Kind::kHostCall, id, e.view());
  std::unique_lock wait(waiter->mutex);
  bool done = sent && waiter->cv.wait_for(wait, kAskTimeout, [&] { return waiter->done; });
  wait.unlock();
  std::lock_guard lock(mutex_);
  waiters_.erase(id);
  if (!sent) return sent;
  if (!done) return Status::error("the runtime did not answer a host call in time");
  if (waiter->failed) return Status::error("the plugin host is stopping");
  return std::move(waiter->answer);
}

void Host::answer_host_call(const wire::Frame& frame) {
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mutex_);
    auto it = waiters_.find(frame.id);
    if (it == waiters_.end()) return;  // timed out already
    waiter = it->second;
  }
  std::lock_guard lock(waiter->mutex);
  waiter->answer = frame.payload;
  waiter->done = true;
  waiter->cv.notify_all();
}

bool Host::mount(const wire::Frame& init) {
  wire::Decoder d(init.payload);
  std::string plugin_file = d.str();
  std::string cache_dir = d.str();
  InstanceOptions options;
  options.municipality_id = d.str();
  options.mount_id = d.str();
  options.config_json = d.str();
  options.database_file = d.str();
  options.deadline = std::chrono::milliseconds(d.u32());
  options.timezone = d.str();
  options.job_quota = d.i64();
  options.data_dir = d.str();
  uint32_t workers = d.u32();
  if (!d.ok() || init.kind != Kind::kInit || workers == 0 || workers > 256) {
    refuse("malformed Init from the runtime");
    return false;
  }
  mount_id_ = options.mount_id;
  PluginLoader loader(cache_dir);
  auto plugin = loader.load(plugin_file);
  if (!plugin) {
    refuse(plugin.error());
    return false;
  }
  auto problems = validate_config(*plugin.value(), options.config_json);
  if (!problems) {
    refuse(problems.error());
    return false;
  }
  if (!problems.value().empty()) {
    refuse("config refused", problems.value());
    return false;
  }
  options.publish = [this](std::string_view channel, std::string_view message) -> uint32_t {
    wire::Encoder e;
    e.str(channel).str(message);
    auto answer = ask_runtime(Op::kPublish, e.view());
    if (!answer) return 0;
    wire::Decoder a(answer.value());
    uint32_t delivered = a.u32();
    return a.ok() ? delivered : 0;
  };
  options.known_subject = [this](std::string_view subject) {
    wire::Encoder e;
    e.str(subject);
    auto answer = ask_runtime(Op::kKnownSubject, e.view());
    return answer && answer.value() == "1";
  };
  pool_ = std::make_unique<WorkerPool>(workers, 4096, std::chrono::seconds(30));
  auto instance = PluginInstance::create(plugin.value(), options);
  if (!instance) {
    refuse(instance.error());
    return false;
  }
  instance_ = std::move(instance).value();
  const LoadedPlugin& p = *plugin.value();
  wire::Encoder e;
  e.u8(1).u32(p.abi_major).u32(p.abi_minor).u32(p.flags).str(p.id).str(p.version).str(p.description)
      .u32(static_cast<uint32_t>(::getpid()));
  return channel_.send(Kind::kReady, 0, e.view()).is_ok();
}

void Host::on_request(uint64_t id, const std::string& payload) {
  wire::Decoder d(payload);
  bool staff = false;
  auto request = std::make_shared<PluginRequest>(d.request(staff));
  if (!d.ok()) {
    log_line(LogLevel::kError, "plugin-host", "malformed request frame", {{"mount", mount_id_}});
    return send_response(id, {400, "application/json",
                              json_error_body("bad_request", "malformed request"), {}});
  }
  if (staff) {
    request->resolve_card = [this, id](std::string_view card, std::string& out) {
      wire::Encoder e;
      e.u64(id).str(card);
      auto answer = ask_runtime(Op::kCardResolve, e.view());
      if (!answer) {
        out = answer.error();
        return false;
      }
      wire::Decoder a(answer.value());
      bool ok = a.u8() == 1;
      out = a.str();
      return ok && a.ok();
    };
  }
  {
    std::lock_guard lock(mutex_);
    running_.insert(id);
  }
  auto run = [this, id, request] {
    uint64_t token = instance_->handle_request(*request, [this, id](PluginResponse response) {
      {
        std::lock_guard lock(mutex_);
        if (running_.count(id)) answered_.insert(id);
        else pending_.erase(id);
      }
      send_response(id, response);
    });
    bool abandon = false;
    {
      std::lock_guard lock(mutex_);
      running_.erase(id);
      bool answered = answered_.erase(id) > 0;
      abandon = abandoned_.erase(id) > 0 && token != 0 && !answered;
      if (token != 0 && !answered && !abandon) pending_[id] = token;
    }
    if (abandon) instance_->abandon(token);
  };
  if (!pool_->try_post({run, mount_id_ + " on_request", WorkerPool::Priority::kNormal})) {
    {
      std::lock_guard lock(mutex_);
      running_.erase(id);
    }
    send_response(id, {503, "application/json",
                       json_error_body("mini_app_busy", "the mini-app's plugin host is at its limit"),
                       {{"retry-after", "1"}}});
  }
}

void Host::on_abandon(uint64_t id) {
  uint64_t token = 0;
  {
    std::lock_guard lock(mutex_);
    if (running_.count(id)) {
      abandoned_.insert(id);
      return;
    }
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // answered meanwhile
    token = it->second;
    pending_.erase(it);
  }
  instance_->abandon(token);
}

void Host::on_call(uint64_t id, const std::string& payload) {
  auto run = [this, id, payload] {
    wire::Decoder d(payload);
    Op op = static_cast<Op>(d.u8());
    wire::Encoder out;
    auto answer = [&](const Result<std::string>& r) {
      reply(id, r.is_ok(), r ? r.value() : r.error());
    };
    switch (op) {
      case Op::kInfoCard: {
        Claims claims = d.claims();
        std::string locale = d.str();
        if (!d.ok()) return reply(id, false, "malformed call");
        return answer(instance_->info_card(claims, locale));
      }
      case Op::kHealth: {
        HealthReport report = instance_->health();
        out.u8(report.healthy ? 1 : 0).str(report.reason).str(report.detail_json);
        return reply(id, true, out.view());
      }
      case Op::kExport: {
        std::string subject = d.str();
        return answer(instance_->export_subject(subject));
      }
      case Op::kErase: {
        std::string subject = d.str();
        Status erased = instance_->erase_subject(subject);
        return reply(id, erased.is_ok(), erased.message());
      }
      case Op::kDeliverEvents: {
        int64_t now = d.i64();
        out.u64(instance_->deliver_due_events(now));
        return reply(id, true, out.view());
      }
      case Op::kOutboxPeek: {
        uint32_t limit = d.u32();
        auto items = instance_->outbox(limit);
        if (!items) return reply(id, false, items.error());
        out.outbox(items.value());
        return reply(id, true, out.view());
      }
      case Op::kOutboxRemove: {
        int64_t seq = d.i64();
        Status removed = instance_->remove_outbox_through(seq);
        return reply(id, removed.is_ok(), removed.message());
      }
      default:
        return reply(id, false, "unknown call");
    }
  };
  if (!pool_->try_post({run, mount_id_ + " hook call", WorkerPool::Priority::kHigh})) {
    reply(id, false, "the mini-app's plugin host is at its limit");
  }
}

int Host::run() {
  auto init = channel_.receive();
  if (!init) return 2;
  if (!mount(init.value())) return 3;
  {
    std::lock_guard lock(mutex_);
    reading_ = true;
  }
  for (;;) {
    auto frame = channel_.receive();
    if (!frame) break;  // the runtime closed the socket: stop
    const wire::Frame& f = frame.value();
    switch (f.kind) {
      case Kind::kRequest: on_request(f.id, f.payload); break;
      case Kind::kAbandon: on_abandon(f.id); break;
      case Kind::kCall: on_call(f.id, f.payload); break;
      case Kind::kHostReply: answer_host_call(f); break;
      default:
        log_line(LogLevel::kError, "plugin-host", "unexpected frame from the runtime; stopping",
                 {{"mount", mount_id_}, {"kind", std::to_string(static_cast<int>(f.kind))}});
        channel_.shutdown();
        break;
    }
  }
  // Stop: host calls in progress fail at once, queued work runs (its answers go nowhere), then
  // the instance is destroyed as in-process (pending requests expire, on_instance_destroy).
  {
    std::lock_guard lock(mutex_);
    reading_ = false;
    for (auto& [id, waiter] : waiters_) {
      std::lock_guard w(waiter->mutex);
      waiter->done = true;
      waiter->failed = true;
      waiter->cv.notify_all();
    }
  }
  pool_.reset();
  instance_.reset();
  return 0;
}

}  // namespace

int run_plugin_host(int fd, pid_t parent) {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_UNBLOCK, &all, nullptr);  // serve blocks its stop signals; not here
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the runtime
  if (::getppid() != parent) return 1;
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);  // a crash must not leave residents' data in a core file
  std::signal(SIGPIPE, SIG_IGN);
  Host host(fd);
  return host.run();
}

}  // namespace machi
