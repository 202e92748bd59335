// Library (図書館): a preview that validates its config and lists it; catalogue, search, loans, holds
// and reminders arrive with the library issue.
#include <machi/sdk/sdk.h>

using namespace machi::sdk;

class Library : public Plugin {
 public:
  explicit Library(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    for (const std::string& item : ConfigReader(ctx.config(), ignored).strings("branches")) {
      items_.emplace_back(item);
    }
  }

  // Config keys: "branches" (array of non-empty strings, required).
  static std::vector<ConfigProblem> validate_config(const boost::json::value& config) {
    std::vector<ConfigProblem> problems;
    ConfigReader(config, problems).strings("branches", /*required=*/true, /*min_items=*/1);
    return problems;
  }

  void handle(const Request& request, Response& response) override {
    if (request.method() != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    if (request.path() != "/") throw HttpError(404, "not_found", "no such page");
    response.json(boost::json::object{{"mini_app", "library"},
                                       {"mount", context().mount_id()},
                                       {"branches", items_},
                                       {"preview", true}});
  }

 private:
  boost::json::array items_;
};

MACHI_PLUGIN(Library, "library", "0.1.0", "Library branches, loans and holds (preview)", kNonBlocking)
