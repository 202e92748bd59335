// Learning content the municipality maintains, one file per locale (learning.ja.json,
// learning.en.json, learning.ja-easy.json …): articles with step-by-step guides by hazard (a
// children's track beside the general one), quizzes, and what-to-take checklists. Japanese is
// the base: it defines every article, quiz and answer; another locale translates some or all of
// them and anything it does not translate (or translates with another shape) is shown from the
// base. Format: README.md.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <machi/sdk/json.h>

namespace disaster {

struct Article {
  std::string id, hazard, track;  // hazard: a hazard id or "general"; track: "general" | "children"
  std::string title, summary, body;
  std::vector<std::string> steps;
};

struct Question {
  std::string text, explanation;
  std::vector<std::string> choices;
  int answer = -1;  // index into choices; -1 in a translation that leaves it to the base
};

struct Quiz {
  std::string id, hazard, track, title;
  std::vector<Question> questions;
};

struct LearningFile {
  std::string locale;
  std::vector<Article> articles;
  std::vector<Quiz> quizzes;
  std::map<std::string, std::vector<std::string>> checklists;  // "common" or a hazard id → items
};

// Parses one locale's file; nullopt with every problem (JSON pointers) when anything is wrong.
// `base` is true for the Japanese file (answers required there).
std::optional<LearningFile> parse_learning(std::string_view text, std::string_view locale, bool base,
                                           std::vector<machi::sdk::ConfigProblem>& problems);

// All locales together. Immutable once built; share through shared_ptr.
class Learning {
 public:
  explicit Learning(std::map<std::string, std::shared_ptr<const LearningFile>> files);

  bool has_base() const { return base_ != nullptr; }
  const LearningFile* base() const { return base_; }
  std::vector<std::string> locales() const;

  // The base's articles in order, each in `locale` where translated.
  std::vector<const Article*> articles(std::string_view locale) const;
  const Article* article(std::string_view id, std::string_view locale) const;
  std::vector<const Quiz*> quizzes(std::string_view locale) const;
  // The quiz in `locale` (only where its shape matches the base) — answers are the base's.
  const Quiz* quiz(std::string_view id, std::string_view locale) const;
  const Quiz* base_quiz(std::string_view id) const;
  // "common" items then the hazard's, in `locale` where translated with the same item count.
  std::vector<std::string> checklist(std::string_view hazard, std::string_view locale) const;
  // Translations that are not used (unknown ids, other shapes), for the staff data page.
  std::vector<std::string> warnings() const;

 private:
  const LearningFile* file(std::string_view locale) const;

  std::map<std::string, std::shared_ptr<const LearningFile>> files_;
  const LearningFile* base_ = nullptr;
};

}  // namespace disaster
