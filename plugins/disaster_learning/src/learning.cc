#include "learning.h"

#include <set>

#include "sites.h"

namespace disaster {

namespace json = boost::json;
using machi::sdk::ConfigProblem;
using machi::sdk::ConfigReader;

namespace {

constexpr size_t kMaxText = 4000;

std::string text(ConfigReader& r, std::string_view key, bool required) {
  std::string s = r.string(key, "", required);
  if (required && r.has(key) && s.empty()) r.problem(key, "must not be empty");
  if (s.size() > kMaxText) r.problem(key, "must be at most " + std::to_string(kMaxText) + " bytes");
  return s;
}

std::vector<std::string> texts(ConfigReader& r, std::string_view key, bool required) {
  auto out = r.strings(key, required, required ? 1 : 0);
  for (const auto& s : out) {
    if (s.size() > kMaxText) r.problem(key, "entries must be at most " + std::to_string(kMaxText) + " bytes");
  }
  return out;
}

void read_common(ConfigReader& e, std::string& id, std::string& hazard, std::string& track, std::set<std::string>& ids) {
  id = e.string("id", "", true);
  if (!id.empty() && !machi::sdk::is_config_id(id)) e.problem("id", "must be 1–32 of [a-z0-9_-]");
  if (!id.empty() && !ids.insert(id).second) e.problem("id", "'" + id + "' is used twice");
  hazard = e.string("hazard", "general");
  if (hazard != "general" && !hazard_by_id(hazard)) {
    e.problem("hazard", "'" + hazard + "' is not a hazard (general, flood, landslide, storm_surge, earthquake, "
                        "tsunami, fire, inland_flood, volcano)");
  }
  track = e.string("track", "general");
  if (track != "general" && track != "children") e.problem("track", "must be \"general\" or \"children\"");
}

}  // namespace

std::optional<LearningFile> parse_learning(std::string_view source, std::string_view locale, bool base,
                                           std::vector<ConfigProblem>& problems) {
  auto doc = machi::sdk::parse_json_document(source, problems);
  if (!doc) return std::nullopt;
  size_t before = problems.size();
  ConfigReader r(*doc, problems);
  r.integer("format", 1, 1, 1, true);
  LearningFile out;
  out.locale = locale;
  if (std::string stated = r.string("locale", std::string(locale)); stated != locale) {
    r.problem("locale", "says '" + stated + "' but the file is for '" + std::string(locale) + "'");
  }
  std::set<std::string> ids;
  const json::array* articles = r.array("articles", base);
  for (size_t i = 0; articles && i < articles->size(); ++i) {
    ConfigReader e((*articles)[i], problems, r.child("articles") + "/" + std::to_string(i));
    Article a;
    read_common(e, a.id, a.hazard, a.track, ids);
    a.title = text(e, "title", true);
    a.summary = text(e, "summary", false);
    a.body = text(e, "body", false);
    a.steps = texts(e, "steps", true);
    out.articles.push_back(std::move(a));
  }
  std::set<std::string> quiz_ids;
  const json::array* quizzes = r.array("quizzes", false);
  for (size_t i = 0; quizzes && i < quizzes->size(); ++i) {
    ConfigReader e((*quizzes)[i], problems, r.child("quizzes") + "/" + std::to_string(i));
    Quiz q;
    read_common(e, q.id, q.hazard, q.track, quiz_ids);
    q.title = text(e, "title", true);
    const json::array* questions = e.array("questions", true);
    if (questions && (questions->empty() || questions->size() > 50)) e.problem("questions", "must list 1–50 questions");
    for (size_t k = 0; questions && k < questions->size(); ++k) {
      ConfigReader qr((*questions)[k], problems, e.child("questions") + "/" + std::to_string(k));
      Question question;
      question.text = text(qr, "text", true);
      question.explanation = text(qr, "explanation", false);
      question.choices = texts(qr, "choices", true);
      if (question.choices.size() < 2 || question.choices.size() > 8) qr.problem("choices", "must list 2–8 choices");
      if (base || qr.has("answer")) {
        question.answer = static_cast<int>(qr.integer("answer", -1, 0, 7, true));
        if (question.answer >= static_cast<int>(question.choices.size())) {
          qr.problem("answer", "must be the index of one of the choices (0–" + std::to_string(question.choices.size() - 1) + ")");
        }
      }
      q.questions.push_back(std::move(question));
    }
    out.quizzes.push_back(std::move(q));
  }
  if (const json::value* cl = r.raw("checklists", base); cl && !cl->is_object()) {
    r.problem("checklists", "must be an object: {\"common\": […], \"flood\": […], …}");
  } else if (cl) {
    ConfigReader lists(*cl, problems, r.child("checklists"));
    for (const auto& [key, value] : cl->as_object()) {
      if (key != "common" && !hazard_by_id(key)) {
        lists.problem(key, "'" + std::string(key) + "' is not \"common\" or a hazard id");
        continue;
      }
      out.checklists[std::string(key)] = texts(lists, key, true);
    }
    if (base && !cl->as_object().contains("common")) lists.problem("common", "is required (what to take for every hazard)");
  }
  if (problems.size() != before) return std::nullopt;
  return out;
}

Learning::Learning(std::map<std::string, std::shared_ptr<const LearningFile>> files) : files_(std::move(files)) {
  auto ja = files_.find("ja");
  base_ = ja == files_.end() ? nullptr : ja->second.get();
}

std::vector<std::string> Learning::locales() const {
  std::vector<std::string> out;
  for (const auto& [locale, f] : files_) out.push_back(locale);
  return out;
}

const LearningFile* Learning::file(std::string_view locale) const {
  for (std::string_view want : {locale, locale.substr(0, locale.find('-'))}) {
    auto it = files_.find(std::string(want));
    if (it != files_.end()) return it->second.get();
  }
  return nullptr;
}

namespace {
template <typename T>
const T* by_id(const std::vector<T>& list, std::string_view id) {
  for (const T& item : list) {
    if (item.id == id) return &item;
  }
  return nullptr;
}
bool same_shape(const Quiz& a, const Quiz& b) {
  if (a.questions.size() != b.questions.size()) return false;
  for (size_t i = 0; i < a.questions.size(); ++i) {
    if (a.questions[i].choices.size() != b.questions[i].choices.size()) return false;
    if (a.questions[i].answer >= 0 && a.questions[i].answer != b.questions[i].answer) return false;
  }
  return true;
}
}  // namespace

std::vector<const Article*> Learning::articles(std::string_view locale) const {
  std::vector<const Article*> out;
  if (!base_) return out;
  for (const Article& a : base_->articles) out.push_back(article(a.id, locale));
  return out;
}

const Article* Learning::article(std::string_view id, std::string_view locale) const {
  const Article* base = base_ ? by_id(base_->articles, id) : nullptr;
  if (!base) return nullptr;
  const LearningFile* f = file(locale);
  const Article* t = f ? by_id(f->articles, id) : nullptr;
  return t ? t : base;
}

std::vector<const Quiz*> Learning::quizzes(std::string_view locale) const {
  std::vector<const Quiz*> out;
  if (!base_) return out;
  for (const Quiz& q : base_->quizzes) out.push_back(quiz(q.id, locale));
  return out;
}

const Quiz* Learning::base_quiz(std::string_view id) const { return base_ ? by_id(base_->quizzes, id) : nullptr; }

const Quiz* Learning::quiz(std::string_view id, std::string_view locale) const {
  const Quiz* base = base_quiz(id);
  if (!base) return nullptr;
  const LearningFile* f = file(locale);
  const Quiz* t = f ? by_id(f->quizzes, id) : nullptr;
  return t && same_shape(*t, *base) ? t : base;
}

std::vector<std::string> Learning::checklist(std::string_view hazard, std::string_view locale) const {
  std::vector<std::string> out;
  if (!base_) return out;
  const LearningFile* f = file(locale);
  for (std::string_view list : {std::string_view("common"), hazard}) {
    auto b = base_->checklists.find(std::string(list));
    if (b == base_->checklists.end()) continue;
    const std::vector<std::string>* items = &b->second;
    if (f) {
      auto t = f->checklists.find(std::string(list));
      if (t != f->checklists.end() && t->second.size() == b->second.size()) items = &t->second;
    }
    out.insert(out.end(), items->begin(), items->end());
  }
  return out;
}

std::vector<std::string> Learning::warnings() const {
  std::vector<std::string> out;
  if (!base_) {
    if (!files_.empty()) out.push_back("no Japanese base file (learning.ja.json): translations are not shown");
    return out;
  }
  for (const auto& [locale, f] : files_) {
    if (f.get() == base_) continue;
    for (const Article& a : f->articles) {
      if (!by_id(base_->articles, a.id)) out.push_back(locale + ": article '" + a.id + "' is not in the Japanese base");
    }
    for (const Quiz& q : f->quizzes) {
      const Quiz* b = by_id(base_->quizzes, q.id);
      if (!b) out.push_back(locale + ": quiz '" + q.id + "' is not in the Japanese base");
      else if (!same_shape(q, *b)) {
        out.push_back(locale + ": quiz '" + q.id + "' has other questions, choices or answers than the Japanese base; the base is shown");
      }
    }
    for (const auto& [list, items] : f->checklists) {
      auto b = base_->checklists.find(list);
      if (b == base_->checklists.end() || b->second.size() != items.size()) {
        out.push_back(locale + ": checklist '" + list + "' does not match the Japanese base item for item; the base is shown");
      }
    }
  }
  return out;
}

}  // namespace disaster
