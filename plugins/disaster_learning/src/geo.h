// Great-circle geometry for "the nearest sites": distance (haversine on the mean Earth radius,
// within 0.5 % of the ellipsoid — plenty for walking distances) and the initial bearing, with
// compass names in Japanese and English.
#pragma once

#include <string>

namespace disaster {

struct Point {
  double latitude = 0, longitude = 0;
};

double distance_m(Point from, Point to);
// Degrees clockwise from true north, [0, 360).
double bearing_deg(Point from, Point to);
// One of 16 compass points: "N", "NNE", … and 北, 北北東, ….
std::string compass_en(double bearing);
std::string compass_ja(double bearing);

}  // namespace disaster
