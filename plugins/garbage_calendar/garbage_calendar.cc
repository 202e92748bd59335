// Garbage calendar (ごみカレンダー): a preview that validates its config and lists it; 5374 import,
// collection rules, reminders and iCalendar arrive with the garbage calendar issue.
#include <machi/sdk/sdk.h>

using namespace machi::sdk;

class GarbageCalendar : public Plugin {
 public:
  explicit GarbageCalendar(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    for (const std::string& item : ConfigReader(ctx.config(), ignored).strings("areas")) {
      items_.emplace_back(item);
    }
  }

  // Config keys: "areas" (array of non-empty strings, required).
  static std::vector<ConfigProblem> validate_config(const boost::json::value& config) {
    std::vector<ConfigProblem> problems;
    ConfigReader(config, problems).strings("areas", /*required=*/true, /*min_items=*/1);
    return problems;
  }

  void handle(const Request& request, Response& response) override {
    if (request.method() != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    if (request.path() != "/") throw HttpError(404, "not_found", "no such page");
    response.json(boost::json::object{{"mini_app", "garbage_calendar"},
                                       {"mount", context().mount_id()},
                                       {"areas", items_},
                                       {"preview", true}});
  }

 private:
  boost::json::array items_;
};

MACHI_PLUGIN(GarbageCalendar, "garbage_calendar", "0.1.0", "Garbage collection calendar by area (preview)", kNonBlocking)
