// The smallest complete Machi plugin: greets the resident, configurable per mount.
// Non-blocking (no storage, no waiting), so the runtime may run it inline on an I/O thread.
#include <machi/sdk/sdk.h>

using namespace machi::sdk;

class Hello : public Plugin {
 public:
  explicit Hello(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> ignored;
    greeting_ = ConfigReader(ctx.config(), ignored).string("greeting", "こんにちは");
  }

  // Config keys: "greeting" (string, optional).
  static std::vector<ConfigProblem> validate_config(const boost::json::value& config) {
    std::vector<ConfigProblem> problems;
    ConfigReader reader(config, problems);
    if (reader.string("greeting", "x").empty()) reader.problem("greeting", "must not be empty");
    return problems;
  }

  void handle(const Request& request, Response& response) override {
    if (request.method() != "GET") {
      throw HttpError(405, "method_not_allowed", "hello answers GET only");
    }
    if (request.path() != "/") throw HttpError(404, "not_found", "no such page");
    boost::json::object body{{"message", greeting_}, {"mount", context().mount_id()}};
    auto name = request.claims().get(MACHI_CLAIM_NAME);
    body["name"] = name ? boost::json::value(*name) : nullptr;
    response.json(body);
  }

  std::optional<boost::json::object> info_card(const Claims& claims, std::string_view locale) {
    auto name = claims.get(MACHI_CLAIM_NAME);
    if (!name) return std::nullopt;
    std::string title = locale == "en" ? "Hello, " : "";
    title += std::string(*name) + (locale == "en" ? "" : "さん、" + greeting_);
    return boost::json::object{{"title", title}, {"link", "/apps/" + context().mount_id() + "/"}};
  }

 private:
  std::string greeting_;
};

MACHI_PLUGIN(Hello, "hello", "1.0.0", "Greets the resident (SDK example)", kNonBlocking)
