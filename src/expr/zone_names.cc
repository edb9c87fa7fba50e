#include "expr/zone_names.h"

#include <unicode/locid.h>
#include <unicode/timezone.h>
#include <unicode/tznames.h>
#include <unicode/unistr.h>

#include <memory>

namespace tributary::expr {

std::string LongZoneName(std::string_view zone_id, bool daylight, int64_t unix_ms) {
  // Fixed offsets have no name; Joda writes them as they are.
  if (zone_id.empty() || zone_id.front() == '+' || zone_id.front() == '-') return {};
  // ICU reads its name tables on first use and keeps them; one instance per thread
  // keeps its cache's lock off the other threads.
  thread_local std::unique_ptr<icu::TimeZoneNames> names = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::TimeZoneNames> made(
        icu::TimeZoneNames::createInstance(icu::Locale::getUS(), status));
    if (U_FAILURE(status)) made.reset();
    return made;
  }();
  if (names == nullptr) return {};
  icu::UnicodeString id = icu::UnicodeString::fromUTF8(
      icu::StringPiece(zone_id.data(), static_cast<int32_t>(zone_id.size())));
  // The names are kept under each zone's canonical id (Etc/UTC for UTC, Asia/Kolkata
  // for Asia/Calcutta).
  icu::UnicodeString canonical;
  UErrorCode status = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(id, canonical, status);
  if (U_FAILURE(status)) return {};
  icu::UnicodeString name;
  names->getDisplayName(canonical, daylight ? UTZNM_LONG_DAYLIGHT : UTZNM_LONG_STANDARD,
                        static_cast<UDate>(unix_ms), name);
  std::string out;
  if (!name.isBogus()) name.toUTF8String(out);
  return out;
}

}  // namespace tributary::expr
