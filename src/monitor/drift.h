// The drift decision (README.md): an evaluation breaches when its value is above
// baseline × threshold; `consecutive` breaches in a row are drift. A value at or under
// the line resets the count. Failed evaluations are not judged at all.
#pragma once

namespace tributary::monitor {

struct Verdict {
  bool breach = false;
  bool drift = false;
  double ratio = 0;  // value / baseline
};

// Judges one value and updates `*breaches`, the count of breaches in a row.
inline Verdict Judge(double value, double baseline, double threshold, int consecutive, int* breaches) {
  Verdict v;
  v.ratio = baseline > 0 ? value / baseline : 0;
  v.breach = value > baseline * threshold;
  *breaches = v.breach ? *breaches + 1 : 0;
  v.drift = v.breach && *breaches >= consecutive;
  return v;
}

}  // namespace tributary::monitor
