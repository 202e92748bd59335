// Library (図書館): a preview that validates its config and lists it; catalogue, search, loans, holds and reminders arrive with the library issue.
#include <machi/sdk/sdk.h>

using namespace machi::sdk;

class Library : public Plugin {
 public:
  explicit Library(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> problems;
    ConfigReader config(ctx.config(), problems);
    if (const boost::json::array* items = config.array("branches")) items_ = *items;
  }

  // Config keys: "branches" (array of non-empty strings, required).
  static std::vector<ConfigProblem> validate_config(const boost::json::value& config) {
    std::vector<ConfigProblem> problems;
    ConfigReader reader(config, problems);
    const boost::json::array* items = reader.array("branches", true);
    if (items && items->empty()) reader.problem("branches", "must list at least one entry");
    for (size_t i = 0; items && i < items->size(); ++i) {
      const boost::json::value& item = (*items)[i];
      if (!item.is_string() || item.as_string().empty()) {
        reader.problem("branches/" + std::to_string(i), "must be a non-empty string");
      }
    }
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
