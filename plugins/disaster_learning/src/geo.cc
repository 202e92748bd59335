#include "geo.h"

#include <array>
#include <cmath>
#include <numbers>

namespace disaster {

namespace {
constexpr double kEarthRadiusM = 6371008.8;  // IUGG mean radius
double rad(double deg) { return deg * std::numbers::pi / 180.0; }
int point_index(double bearing) { return static_cast<int>(std::floor(std::fmod(bearing + 11.25, 360.0) / 22.5)) % 16; }
}  // namespace

double distance_m(Point from, Point to) {
  double dlat = rad(to.latitude - from.latitude), dlon = rad(to.longitude - from.longitude);
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(rad(from.latitude)) * std::cos(rad(to.latitude)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

double bearing_deg(Point from, Point to) {
  double phi1 = rad(from.latitude), phi2 = rad(to.latitude), dlon = rad(to.longitude - from.longitude);
  double y = std::sin(dlon) * std::cos(phi2);
  double x = std::cos(phi1) * std::sin(phi2) - std::sin(phi1) * std::cos(phi2) * std::cos(dlon);
  double deg = std::atan2(y, x) * 180.0 / std::numbers::pi;
  return std::fmod(deg + 360.0, 360.0);
}

std::string compass_en(double bearing) {
  static constexpr std::array<const char*, 16> kNames{"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
                                                      "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"};
  return kNames[point_index(bearing)];
}

std::string compass_ja(double bearing) {
  static constexpr std::array<const char*, 16> kNames{"北", "北北東", "北東", "東北東", "東", "東南東", "南東", "南南東",
                                                      "南", "南南西", "南西", "西南西", "西", "西北西", "北西", "北北西"};
  return kNames[point_index(bearing)];
}

}  // namespace disaster
