#include "ages.h"

#include <cctype>

namespace childcare {

namespace {
namespace chr = std::chrono;

// Adds whole months, landing on the month's last day when the day does not exist there.
Days add_months(Days date, int months) {
  chr::year_month_day ymd(date);
  chr::year_month ym = chr::year_month(ymd.year(), ymd.month()) + chr::months(months);
  chr::year_month_day_last last(ym.year(), chr::month_day_last(ym.month()));
  chr::day day = ymd.day() > last.day() ? last.day() : ymd.day();
  return Days(chr::year_month_day(ym.year(), ym.month(), day));
}
}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string& error) {
  Duration d;
  if (text.empty()) return error = "an empty duration", std::nullopt;
  size_t i = 0;
  char last_unit = 0;
  const std::string_view order = "ymwd";
  while (i < text.size()) {
    size_t start = i;
    long n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i++] - '0');
      if (n > 10000) return error = "'" + std::string(text) + "': number too large", std::nullopt;
    }
    if (i == start || i == text.size()) {
      return error = "'" + std::string(text) + "' is not a duration like 2m, 14w6d or 1y6m", std::nullopt;
    }
    char unit = text[i++];
    size_t rank = order.find(unit);
    if (rank == std::string_view::npos) {
      return error = "'" + std::string(text) + "': unit '" + std::string(1, unit) + "' is not y, m, w or d",
             std::nullopt;
    }
    if (last_unit && rank <= order.find(last_unit)) {
      return error = "'" + std::string(text) + "': units go y, m, w, d, each once", std::nullopt;
    }
    last_unit = unit;
    int v = static_cast<int>(n);
    (unit == 'y' ? d.years : unit == 'm' ? d.months : unit == 'w' ? d.weeks : d.days) = v;
  }
  return d;
}

std::optional<AgePoint> parse_age_point(std::string_view text, std::string& error) {
  AgePoint p;
  constexpr std::string_view kAnchor = "school_entry";
  if (text.starts_with(kAnchor)) {
    p.from_school_entry = true;
    text.remove_prefix(kAnchor.size());
    if (text.empty()) return p;
    if (text[0] != '+' && text[0] != '-') {
      return error = "school_entry is followed by +duration or -duration", std::nullopt;
    }
    p.sign = text[0] == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  auto d = parse_duration(text, error);
  if (!d) return std::nullopt;
  p.offset = *d;
  return p;
}

std::optional<Duration> parse_gap(std::string_view text, std::string& error) {
  auto d = parse_duration(text, error);
  if (d && d->calendar() && (d->weeks || d->days)) {
    return error = "'" + std::string(text) + "': a gap is in years/months or in weeks/days, not both", std::nullopt;
  }
  return d;
}

Days add(Days date, const Duration& d, int sign) {
  Days out = add_months(date, sign * (d.years * 12 + d.months));
  return out + chr::days(sign * (d.weeks * 7 + d.days));
}

Days school_entry(Days birth) {
  Days sixth = add_months(birth, 72);
  chr::year_month_day ymd(sixth);
  Days april(chr::year_month_day(ymd.year(), chr::April, chr::day(1)));
  return april >= sixth ? april : Days(chr::year_month_day(ymd.year() + chr::years(1), chr::April, chr::day(1)));
}

Days at_age(Days birth, const AgePoint& point) {
  return add(point.from_school_entry ? school_entry(birth) : birth, point.offset, point.sign);
}

Days after_gap(Days given, const Duration& gap) {
  if (gap.calendar()) return add(given, gap);
  return add(given, gap) + chr::days(1);  // clear days between: the dose from the day after
}

int school_year_of(Days date) {
  chr::year_month_day ymd(date);
  int year = static_cast<int>(ymd.year());
  return ymd.month() >= chr::April ? year : year - 1;
}

int age_class(Days birth, int school_year) {
  Days april(chr::year_month_day(chr::year(school_year), chr::April, chr::day(1)));
  if (birth > april) return 0;
  return age_years_months(birth, april).first;
}

std::pair<int, int> age_years_months(Days birth, Days on) {
  if (on < birth) return {0, 0};
  chr::year_month_day b(birth), o(on);
  int months = (static_cast<int>(o.year()) - static_cast<int>(b.year())) * 12 +
               (static_cast<int>(static_cast<unsigned>(o.month())) - static_cast<int>(static_cast<unsigned>(b.month())));
  if (add_months(birth, months) > on) --months;
  return {months / 12, months % 12};
}

}  // namespace childcare
