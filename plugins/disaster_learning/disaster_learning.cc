// Disaster learning (防災): a preview that validates its config and lists it; learning content,
// quizzes, shelters and check-in arrive with the disaster issue.
#include <machi/sdk/sdk.h>

using namespace machi::sdk;

class DisasterLearning : public Plugin {
 public:
  explicit DisasterLearning(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    for (const std::string& item : ConfigReader(ctx.config(), ignored).strings("hazards")) {
      items_.emplace_back(item);
    }
  }

  // Config keys: "hazards" (array of non-empty strings, required).
  static std::vector<ConfigProblem> validate_config(const boost::json::value& config) {
    std::vector<ConfigProblem> problems;
    ConfigReader(config, problems).strings("hazards", /*required=*/true, /*min_items=*/1);
    return problems;
  }

  void handle(const Request& request, Response& response) override {
    if (request.method() != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    if (request.path() != "/") throw HttpError(404, "not_found", "no such page");
    response.json(boost::json::object{{"mini_app", "disaster_learning"},
                                       {"mount", context().mount_id()},
                                       {"hazards", items_},
                                       {"preview", true}});
  }

 private:
  boost::json::array items_;
};

MACHI_PLUGIN(DisasterLearning, "disaster_learning", "0.1.0", "Disaster preparedness and shelters (preview)", kNonBlocking)
