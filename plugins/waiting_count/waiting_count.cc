// Counter waiting count (窓口待ち人数): a preview that validates its config and lists it; tickets, live
// counts and estimated waits arrive with the waiting-count issue.
#include <machi/sdk/sdk.h>

using namespace machi::sdk;

class WaitingCount : public Plugin {
 public:
  explicit WaitingCount(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    for (const std::string& item : ConfigReader(ctx.config(), ignored).strings("counters")) {
      items_.emplace_back(item);
    }
  }

  // Config keys: "counters" (array of non-empty strings, required).
  static std::vector<ConfigProblem> validate_config(const boost::json::value& config) {
    std::vector<ConfigProblem> problems;
    ConfigReader(config, problems).strings("counters", /*required=*/true, /*min_items=*/1);
    return problems;
  }

  void handle(const Request& request, Response& response) override {
    if (request.method() != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    if (request.path() != "/") throw HttpError(404, "not_found", "no such page");
    response.json(boost::json::object{{"mini_app", "waiting_count"},
                                       {"mount", context().mount_id()},
                                       {"counters", items_},
                                       {"preview", true}});
  }

 private:
  boost::json::array items_;
};

MACHI_PLUGIN(WaitingCount, "waiting_count", "0.1.0", "Waiting count at city-hall counters (preview)", kNonBlocking)
