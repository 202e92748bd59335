// Childcare (子育て): a preview that validates its config and lists it; the vaccination schedule and
// nursery vacancies arrive with the childcare issue.
#include <machi/sdk/sdk.h>

using namespace machi::sdk;

class Childcare : public Plugin {
 public:
  explicit Childcare(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    for (const std::string& item : ConfigReader(ctx.config(), ignored).strings("nurseries")) {
      items_.emplace_back(item);
    }
  }

  // Config keys: "nurseries" (array of non-empty strings, required).
  static std::vector<ConfigProblem> validate_config(const boost::json::value& config) {
    std::vector<ConfigProblem> problems;
    ConfigReader(config, problems).strings("nurseries", /*required=*/true, /*min_items=*/1);
    return problems;
  }

  void handle(const Request& request, Response& response) override {
    if (request.method() != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    if (request.path() != "/") throw HttpError(404, "not_found", "no such page");
    response.json(boost::json::object{{"mini_app", "childcare"},
                                       {"mount", context().mount_id()},
                                       {"nurseries", items_},
                                       {"preview", true}});
  }

 private:
  boost::json::array items_;
};

MACHI_PLUGIN(Childcare, "childcare", "0.1.0", "Childcare information and nursery vacancies (preview)", kNonBlocking)
